using System.Globalization;
using System.Text.RegularExpressions;
using JobTracking.WebSample.Jobs;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;

namespace JobTracking.Dashboard.Tests.Browser;

/// <summary>
/// The dashboard in a French browser (Accept-Language: fr) in Tokyo's time zone, over the web sample (which calls
/// UseRequestLocalization with "en" and "fr"): statuses, toasts and live durations in French, times rewritten in the
/// browser's zone. Takes docs/dashboard-fr.png.
/// </summary>
public sealed partial class FrenchBrowserTests
{
    private const string TimeZone = "Asia/Tokyo";

    [Fact]
    public async Task FrenchBrowser_InTokyo_SeesStatusesToastsDurationsAndTimes_InFrench_AndItsOwnTimeZone()
    {
        using var browser = ChromiumBrowser.Start(language: "fr", timeZone: TimeZone);
        await using var server = await WebSampleServer.StartAsync();
        var runner = server.Services.GetRequiredService<IJobRunner>();
        var driver = browser.Driver;
        var js = (IJavaScriptExecutor)driver;
        var import = await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters { RowDelayMilliseconds = 0 },
            new JobStartOptions { DisplayName = "Import produits.csv", LaunchedBy = "test navigateur" });
        using (var timeout = new CancellationTokenSource(Wait.DefaultTimeout))
        {
            await runner.WaitForCompletionAsync(import, timeout.Token);
        }

        var export = await runner.Job<ProductExportJob>().StartAsync(new ProductExportParameters { RowDelayMilliseconds = 0 },
            new JobStartOptions { DisplayName = "Export catalogue", LaunchedBy = "test navigateur" });
        using (var timeout = new CancellationTokenSource(Wait.DefaultTimeout))
        {
            await runner.WaitForCompletionAsync(export, timeout.Token);
        }

        driver.Navigate().GoToUrl(server.Address + "/jobs");
        browser.Until(d => d.FindElement(By.CssSelector("body[data-live=on]")), "the live stream to open");
        js.ExecuteScript("return document.documentElement.lang;").Should().Be("fr");
        browser.Text("h1").Should().Be("Tâches");
        browser.Text("#jt-live-state").Should().Be("En direct");
        browser.Text($"#jt-rows tr[data-job-id='{export}'] .jt-status").Should().Be("Terminé");
        browser.Text($"#jt-rows tr[data-job-id='{import}'] .jt-status").Should().Be("Terminé avec avertissements");

        // Times: the server's UTC text becomes the browser's time (Tokyo, UTC+9 all year) in French, the UTC text its title.
        var created = browser.Until(d => d.FindElement(By.CssSelector($"#jt-rows tr[data-job-id='{export}'] .jt-created time[data-local]")), "the creation time rewritten");
        var at = DateTimeOffset.Parse(created.GetAttribute("datetime")!, CultureInfo.InvariantCulture);
        var tokyo = TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById(TimeZone));
        created.Text.Should().Be($"{tokyo:dd'/'MM'/'yyyy} {tokyo:HH':'mm':'ss} UTC+9", "the time reads in the browser's zone, as French writes it");
        created.GetAttribute("title").Should().Be($"{at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC", "the server's UTC text stays at hand");

        // A job that starts while the page is open: its toast, status and duration in French, its times rewritten too.
        var id = await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters { RowDelayMilliseconds = 400 },
            new JobStartOptions { DisplayName = "Import prix.csv", LaunchedBy = "test navigateur" });
        var toast = browser.Until(d => d.FindElement(By.CssSelector($".jt-toast[data-toast=started][data-job-id='{id}']")), "the 'started' toast");
        toast.Text.Should().Contain("Import prix.csv a démarré");
        toast.FindElement(By.CssSelector(".jt-toast-close")).GetAttribute("aria-label").Should().Be("Fermer");
        var row = $"#jt-rows tr[data-job-id='{id}']";
        browser.Until(d => d.FindElement(By.CssSelector(row + " .jt-status")).Text == "En cours d'exécution" ? true : (bool?)null, "the new row to show 'En cours d'exécution'");
        browser.Until(d => d.FindElement(By.CssSelector(row + " .jt-created time[data-local]")).Text.EndsWith(" UTC+9", StringComparison.Ordinal) ? true : (bool?)null,
            "the live row's time in the browser's zone");
        browser.Until(d => FrenchSeconds().IsMatch(d.FindElement(By.CssSelector(row + " .jt-duration")).Text) ? true : (bool?)null, "a duration counted in French (\"3,2 s\")");
        browser.Until(d => d.FindElement(By.CssSelector(row + " progress")).GetAttribute("value") is { } v && v != "0" ? v : null, "progress");
        browser.Until(d => d.FindElement(By.CssSelector("#jt-counts [data-status=Running] b")).Text == "1" ? true : (bool?)null, "the counts to follow");
        browser.Screenshot(DashboardBrowserTests.ScreenshotPath("dashboard-fr.png"));

        browser.Until(d => d.FindElement(By.CssSelector($".jt-toast[data-toast=finished][data-job-id='{id}']")).Text.Contains("Import prix.csv · Terminé avec avertissements", StringComparison.Ordinal) ? true : (bool?)null,
            "the 'finished' toast in French", TimeSpan.FromSeconds(60));
        browser.Until(d => d.FindElement(By.Id("jt-announce")).GetAttribute("textContent") is { Length: > 0 } said && said.Contains("Import prix.csv", StringComparison.Ordinal) ? said : null,
            "what a screen reader hears").Should().NotContain("finished").And.NotContain("started");

        // The job page: its tabs, and its times in the browser's zone.
        driver.Navigate().GoToUrl(server.Address + "/jobs/" + id);
        browser.Until(d => d.FindElements(By.CssSelector(".jt-tabs a")).Select(a => a.Text).ToList() is { Count: 4 } tabs ? tabs : null, "the tabs")
            .Should().Equal("Général", "Journal", "Rejets", "Historique");
        browser.Until(d => d.FindElements(By.CssSelector(".jt-facts time")).All(t => t.GetAttribute("data-local") is not null) ? true : (bool?)null, "every time rewritten");
        driver.FindElement(By.LinkText("Historique")).Click();
        browser.Until(d => d.FindElement(By.CssSelector(".jt-history tbody tr td:nth-child(2)")).Text == "Créée" ? true : (bool?)null, "the history in French");

        // The instances page: its words in French, its start and last heartbeat in the browser's zone.
        driver.FindElement(By.CssSelector("a.jt-nav[href$='/instances']")).Click();
        browser.Until(d => d.FindElement(By.CssSelector("table.jt-instances tbody tr")), "the instances");
        browser.Text("h1").Should().Be("Instances");
        browser.Text("table.jt-instances tbody tr .jt-badge").Should().Be("Répond");
        var heartbeat = browser.Until(d => d.FindElement(By.CssSelector("table.jt-instances tbody tr td[data-label='Dernier signe de vie'] time[data-local]")), "the last heartbeat rewritten");
        heartbeat.Text.Should().EndWith(" UTC+9", "the last heartbeat reads in the browser's zone");
        heartbeat.GetAttribute("title").Should().EndWith(" UTC", "the server's UTC text stays at hand");
    }

    [GeneratedRegex(@"^\d+,\d s$")]
    private static partial Regex FrenchSeconds();
}
