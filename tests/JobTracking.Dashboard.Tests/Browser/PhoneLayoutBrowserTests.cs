using System.Drawing;
using JobTracking.WebSample.Jobs;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;

namespace JobTracking.Dashboard.Tests.Browser;

/// <summary>The dashboard on a phone's screen (390 x 844 CSS pixels): nothing wider than the screen, and the jobs on the first screen.</summary>
public sealed class PhoneLayoutBrowserTests
{
    [Fact]
    public async Task Phone_TrackerShowsJobsOnTheFirstScreen_AsCards_AndNoPageIsWiderThanTheScreen()
    {
        using var browser = ChromiumBrowser.Start();
        await using var server = await WebSampleServer.StartAsync();
        var runner = server.Services.GetRequiredService<IJobRunner>();
        var finished = await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters { RowDelayMilliseconds = 0 },
            new JobStartOptions { DisplayName = "Import products.csv", LaunchedBy = "phone test" });
        using (var timeout = new CancellationTokenSource(Wait.DefaultTimeout))
        {
            await runner.WaitForCompletionAsync(finished, timeout.Token);
        }

        await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters { RowDelayMilliseconds = 1000 },
            new JobStartOptions { DisplayName = "Import prices.csv", LaunchedBy = "phone test" });
        var driver = browser.Driver;
        driver.Manage().Window.Size = new Size(390, 844);
        var js = (IJavaScriptExecutor)driver;
        browser.Until(d => Convert.ToInt64(js.ExecuteScript("return window.innerWidth;"), System.Globalization.CultureInfo.InvariantCulture) <= 400 ? true : (bool?)null, "the window at a phone's width");

        driver.Navigate().GoToUrl(server.Address + "/jobs");
        browser.Until(d => d.FindElement(By.CssSelector("#jt-rows tr")), "the jobs");
        var layout = Read(js,
            "const row = document.querySelector('#jt-rows tr').getBoundingClientRect();" +
            "return [document.documentElement.scrollWidth, window.innerWidth, window.innerHeight, row.top, row.bottom, row.width," +
            " getComputedStyle(document.getElementById('jt-counts')).display, getComputedStyle(document.querySelector('.jt-jobs thead')).display," +
            " document.querySelector('.jt-filters select[name=status]').getBoundingClientRect().width];");
        var (scrollWidth, width, height) = (Number(layout[0]), Number(layout[1]), Number(layout[2]));
        scrollWidth.Should().BeLessThanOrEqualTo(width, "the tracker is no wider than the screen");
        Number(layout[4]).Should().BeLessThan(height, "the first job is whole on the first screen");
        Number(layout[5]).Should().BeLessThanOrEqualTo(width, "a job is a card as wide as the screen at most");
        layout[6].Should().Be("none", "the header's twelve status counts give way to the status select");
        layout[7].Should().Be("none", "cards have no header row");
        Number(layout[8]).Should().BeGreaterThan(0, "the status select is shown");
        js.ExecuteScript("return getComputedStyle(document.querySelector('#jt-rows tr .jt-created'), '::before').content;").Should()
            .Be("\"Created \"", "each figure is labelled in a card");
        browser.Screenshot(DashboardBrowserTests.ScreenshotPath("dashboard-phone.png"));

        foreach (var page in new[] { $"/jobs/{finished}", $"/jobs/{finished}?tab=log", $"/jobs/{finished}?tab=rejects", "/jobs/schedules", "/jobs/instances" })
        {
            driver.Navigate().GoToUrl(server.Address + page);
            browser.Until(d => d.FindElement(By.CssSelector("main#jt-main")), page);
            Number(Read(js, "return [document.documentElement.scrollWidth, window.innerWidth];")[0]).Should()
                .BeLessThanOrEqualTo(width, $"{page} is no wider than the screen (wide tables scroll inside themselves)");
        }
    }

    [Fact]
    public async Task Phone_Instances_AreCardsWithEachFigureLabelled()
    {
        using var browser = ChromiumBrowser.Start();
        await using var server = await WebSampleServer.StartAsync();
        var driver = browser.Driver;
        driver.Manage().Window.Size = new Size(390, 844);
        var js = (IJavaScriptExecutor)driver;
        browser.Until(d => Convert.ToInt64(js.ExecuteScript("return window.innerWidth;"), System.Globalization.CultureInfo.InvariantCulture) <= 400 ? true : (bool?)null, "the window at a phone's width");

        driver.Navigate().GoToUrl(server.Address + "/jobs/instances");
        browser.Until(d => d.FindElement(By.CssSelector("table.jt-instances tbody tr")), "the instances");

        var layout = Read(js, """
            var table = document.querySelector('table.jt-instances'), row = table.querySelector('tbody tr');
            return [getComputedStyle(table.querySelector('thead')).display, getComputedStyle(row).display,
                getComputedStyle(row.querySelector('td[data-label="Workers"]'), '::before').content,
                document.documentElement.scrollWidth, window.innerWidth];
            """);
        layout[0].Should().Be("none", "cards have no header row");
        layout[1].Should().Be("flex", "each instance is a card");
        layout[2].Should().Be("\"Workers \"", "each figure is labelled in a card");
        Number(layout[3]).Should().BeLessThanOrEqualTo(Number(layout[4]), "the page is no wider than the screen");
    }

    private static List<object?> Read(IJavaScriptExecutor js, string script) => [.. (IReadOnlyCollection<object?>)js.ExecuteScript(script)!];

    private static double Number(object? value) => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
}
