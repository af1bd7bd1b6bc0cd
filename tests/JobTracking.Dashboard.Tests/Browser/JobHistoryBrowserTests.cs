using JobTracking.WebSample.Jobs;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;

namespace JobTracking.Dashboard.Tests.Browser;

/// <summary>The job page's History tab in a real browser, kept current by the live updates.</summary>
public sealed class JobHistoryBrowserTests
{
    [Fact]
    public async Task HistoryTab_OpenWhileAnotherClientPausesTheJob_ShowsThePauseWithoutAReload()
    {
        using var browser = ChromiumBrowser.Start();
        await using var server = await WebSampleServer.StartAsync();
        var runner = server.Services.GetRequiredService<IJobRunner>();
        using var timeout = new CancellationTokenSource(Wait.DefaultTimeout);
        var id = await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters { RowDelayMilliseconds = 1000 },
            new JobStartOptions { DisplayName = "Import products.csv", LaunchedBy = "browser test" });
        await runner.WaitForStatusAsync(id, [JobStatus.Running], timeout.Token);
        var driver = browser.Driver;
        var js = (IJavaScriptExecutor)driver;
        driver.Navigate().GoToUrl(server.Address + $"/jobs/{id}?tab=history");
        browser.Until(d => d.FindElement(By.CssSelector("body[data-live=on][data-kind=job]")), "the History tab, live");
        js.ExecuteScript("window.jtNotReloaded = true;");
        driver.FindElements(By.CssSelector("#jt-history tr.jt-history-pause")).Should().BeEmpty("nobody has paused the job yet");

        await runner.PauseAsync(id, new JobCommandOptions { Actor = "operator on another screen", Reason = "supplier feed late" }, timeout.Token);

        // Read within the wait: a later live refresh of the tab may replace the row between its lookup and its reading.
        var pause = browser.Until(d => d.FindElements(By.CssSelector("#jt-history tr.jt-history-pause")) is { Count: > 0 } rows ? rows[0].Text : null, "the pause in the open History tab");
        pause.Should().Contain("operator on another screen").And.Contain("supplier feed late");
        browser.Until(d => d.FindElement(By.CssSelector("#jt-job-status .jt-badge")).Text == "Paused" ? true : (bool?)null, "the status to become Paused");
        js.ExecuteScript("return window.jtNotReloaded === true;").Should().Be(true, "the tab was refreshed in place, not reloaded");
        browser.Text(".jt-tabs [aria-current=page]").Should().Be("History", "the refresh keeps the tab that was open");

        await runner.CancelAsync(id, timeout.Token);
    }
}
