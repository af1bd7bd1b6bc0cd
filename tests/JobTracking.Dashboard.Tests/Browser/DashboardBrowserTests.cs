using System.Reflection;
using JobTracking.WebSample.Jobs;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;

namespace JobTracking.Dashboard.Tests.Browser;

/// <summary>
/// The dashboard in a real browser, over the web sample: live updates, toasts, commands with their confirmation, the
/// Rejects tab and its CSV, and hostile text shown as text. Takes the screenshots the README shows (written to
/// <c>docs/</c> when <c>UPDATE_SCREENSHOTS=true</c>, else beside the tests).
/// </summary>
public sealed class DashboardBrowserTests
{
    private static readonly string RepositoryRoot = typeof(DashboardBrowserTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;

    [Fact]
    public async Task Import_StartedWhileTheTrackerIsOpen_ShowsLive_PausesResumes_AndItsRejectsAndLogReadAsText()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Step(string what) => TestContext.Current.TestOutputHelper?.WriteLine($"{clock.Elapsed.TotalSeconds:0.00} s {what}");
        using var browser = ChromiumBrowser.Start();
        Step("browser started");
        await using var server = await WebSampleServer.StartAsync();
        Step("server started");
        var runner = server.Services.GetRequiredService<IJobRunner>();
        var driver = browser.Driver;
        var js = (IJavaScriptExecutor)driver;

        // The tracker is open and live before the import starts.
        driver.Navigate().GoToUrl(server.Address + "/jobs");
        browser.Until(d => d.FindElement(By.CssSelector("body[data-live=on]")), "the live stream to open");
        js.ExecuteScript("window.jtNotReloaded = true;");
        var id = await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters { RowDelayMilliseconds = 1000 },
            new JobStartOptions { DisplayName = "Import products.csv", LaunchedBy = "browser test" });

        var toast = browser.Until(d => d.FindElement(By.CssSelector($".jt-toast[data-toast=started][data-job-id='{id}']")), "the 'started' toast");
        toast.Text.Should().Contain("Import products.csv").And.Contain("started");
        var rowStatus = $"#jt-rows tr[data-job-id='{id}'] .jt-status";
        browser.Until(d => d.FindElement(By.CssSelector(rowStatus)).Text == "Execution in progress" ? true : (bool?)null, "the new row to show 'Execution in progress'");
        browser.Until(d => d.FindElement(By.CssSelector($"#jt-rows tr[data-job-id='{id}'] progress")).GetAttribute("value") is { } v && v != "0" ? v : null, "progress");
        js.ExecuteScript("return window.jtNotReloaded === true;").Should().Be(true, "the row appeared and changed without a reload");
        // The duration counts on in the page while the job runs, without a request.
        var duration = $"#jt-rows tr[data-job-id='{id}'] .jt-duration";
        var first = browser.Until(d => d.FindElement(By.CssSelector(duration)).Text is { Length: > 0 } t && t.EndsWith(" s", StringComparison.Ordinal) ? t : null, "a duration");
        browser.Until(d => d.FindElement(By.CssSelector(duration)).Text is var t && t != first && t.EndsWith(" s", StringComparison.Ordinal) ? t : null, "the duration to count on");
        Step("row live");
        browser.Screenshot(ScreenshotPath("dashboard-tracker.png"));
        Step("screenshot");

        // Pause and resume from the job page. The import takes 24 s (a row a second), so a loaded machine still reaches the
        // pause button while it runs.
        browser.Until(d =>
        {
            d.FindElement(By.CssSelector($"#jt-rows tr[data-job-id='{id}'] .jt-name a")).Click();
            return true;
        }, "the job's link");
        browser.Until(d => d.FindElement(By.CssSelector("body[data-live=on][data-kind=job]")), "the job page, live");
        browser.ClickAndConfirm(".jt-commands .jt-cmd-pause", "Pause 'Import products.csv'?");
        browser.Until(d => d.FindElement(By.CssSelector("body[data-live=on][data-kind=job]")), "the job page again, live");
        js.ExecuteScript("window.jtNotReloaded = true;");
        browser.Until(d => d.FindElement(By.CssSelector("#jt-job-status .jt-badge")).Text == "Paused" ? true : (bool?)null, "the status to become Paused");
        js.ExecuteScript("return window.jtNotReloaded === true;").Should().Be(true, "the pause showed without a reload");
        (await server.Services.GetRequiredService<IJobTracker>().GetAsync(id)).Status.Should().Be(JobStatus.Paused);
        Step("paused");
        browser.ClickAndConfirm(".jt-commands .jt-cmd-resume", "Start 'Import products.csv' again?");
        browser.Until(d => d.FindElement(By.CssSelector("#jt-job-status .jt-badge")).Text == "Finished with warnings" ? true : (bool?)null, "the import to finish", TimeSpan.FromSeconds(60));
        browser.Until(d => d.FindElements(By.CssSelector(".jt-commands button")).Count == 0 ? true : (bool?)null, "the buttons of a finished job (none)");
        Step("finished");
        browser.Screenshot(ScreenshotPath("dashboard-job.png"));

        // Rejects tab, and its CSV.
        driver.FindElement(By.LinkText("Rejects")).Click();
        var rejects = browser.Until(d => d.FindElements(By.CssSelector(".jt-rejects tbody tr")) is { Count: > 0 } rows ? rows : null, "the rejects");
        rejects.Should().HaveCount(5);
        driver.FindElements(By.CssSelector(".jt-rejects code")).Select(c => c.Text).Should().Contain(c => c.Contains("<script>alert('owned')</script>"));
        driver.FindElement(By.Id("jt-rejects-csv")).Click();
        var csvFile = Path.Combine(browser.Downloads, $"rejects-{id}.csv");
        var csv = browser.Until(_ => File.Exists(csvFile) ? File.ReadAllText(csvFile) : null, "the CSV download");
        csv.Should().StartWith("RecordNumber,Reason,RawRecord,RejectedAt").And.Contain("\"'=2+5*cmd|' /C calc'!A0,Spreadsheet trap");

        Step("csv");
        // Log tab: the rejected markup is a line of text, not a script.
        driver.FindElement(By.LinkText("Log")).Click();
        var lines = browser.Until(d => d.FindElements(By.CssSelector(".jt-message")) is { Count: > 0 } m ? m : null, "the log lines");
        lines.Select(l => l.Text).Should().Contain(l => l.Contains("<script>alert('owned')</script>"));
        driver.FindElements(By.CssSelector("main script")).Should().BeEmpty();
        js.ExecuteScript("return document.querySelectorAll('script:not([src])').length;").Should().Be(0L);
        var act = () => driver.SwitchTo().Alert();
        act.Should().Throw<NoAlertPresentException>("no script from a log line ran");
    }

    [Fact]
    public async Task LiveUpdates_PausedByTheUser_ShowNothingUntilResumed()
    {
        using var browser = ChromiumBrowser.Start();
        await using var server = await WebSampleServer.StartAsync();
        var runner = server.Services.GetRequiredService<IJobRunner>();
        browser.Driver.Navigate().GoToUrl(server.Address + "/jobs");
        browser.Until(d => d.FindElement(By.CssSelector("body[data-live=on]")), "the live stream to open");

        browser.Driver.FindElement(By.Id("jt-live-toggle")).Click();
        browser.Until(d => d.FindElement(By.CssSelector("body[data-live=off]")), "live updates to stop");
        var id = await runner.Job<ProductExportJob>().StartAsync(new ProductExportParameters { RowDelayMilliseconds = 0 });
        using (var timeout = new CancellationTokenSource(Wait.DefaultTimeout))
        {
            await runner.WaitForStatusAsync(id, [JobStatus.Completed], timeout.Token);
        }

        browser.Driver.FindElements(By.CssSelector($"#jt-rows tr[data-job-id='{id}']")).Should().BeEmpty("updates are paused");
        browser.Driver.FindElements(By.CssSelector(".jt-toast")).Should().BeEmpty();
        browser.Text("#jt-live-state").Should().Be("Live updates paused");
        browser.Driver.FindElement(By.Id("jt-live-toggle")).Click();

        browser.Until(d => d.FindElement(By.CssSelector($"#jt-rows tr[data-job-id='{id}'] .jt-status")).Text.StartsWith("Finished", StringComparison.Ordinal) ? true : (bool?)null,
            "the page to catch up once resumed");
    }

    [Fact]
    public async Task CancelAll_ConfirmedInTheBrowser_AsksWithTheNumberOfJobsItWouldChange()
    {
        using var browser = ChromiumBrowser.Start();
        await using var server = await WebSampleServer.StartAsync();
        var runner = server.Services.GetRequiredService<IJobRunner>();
        using var timeout = new CancellationTokenSource(Wait.DefaultTimeout);
        var done = await runner.Job<ProductExportJob>().StartAsync(new ProductExportParameters { RowDelayMilliseconds = 0 });
        await runner.WaitForStatusAsync(done, [JobStatus.Completed], timeout.Token);
        var running = await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters { RowDelayMilliseconds = 1000 });
        await runner.WaitForStatusAsync(running, [JobStatus.Running], timeout.Token);
        browser.Driver.Navigate().GoToUrl(server.Address + "/jobs");
        browser.Until(d => d.FindElement(By.CssSelector("body[data-live=on]")), "the live stream to open");

        browser.ClickAndConfirm("button[value=cancel-all]", "Cancel 1 of the 2 jobs that match the filters? The other one cannot be cancelled and stays as it is.");

        (await runner.WaitForStatusAsync(running, [JobStatus.Cancelled], timeout.Token)).Status.Should().Be(JobStatus.Cancelled);
        (await server.Services.GetRequiredService<IJobTracker>().GetAsync(done)).Status.Should().Be(JobStatus.Completed);
    }

    internal static string ScreenshotPath(string name) =>
        string.Equals(Environment.GetEnvironmentVariable("UPDATE_SCREENSHOTS"), "true", StringComparison.OrdinalIgnoreCase)
            ? Path.Combine(RepositoryRoot, "docs", name)
            : Path.Combine(AppContext.BaseDirectory, "screenshots", name);
}
