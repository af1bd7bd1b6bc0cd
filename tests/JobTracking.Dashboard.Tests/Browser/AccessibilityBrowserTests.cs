using System.Reflection;
using System.Text.Json;
using JobTracking.WebSample.Jobs;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Interactions;

namespace JobTracking.Dashboard.Tests.Browser;

/// <summary>
/// Every page checked by axe-core (WCAG 2.2 A and AA rules) in Chromium, and the dashboard driven by the keyboard
/// alone. axe-core is the npm package pinned in this project's package-lock.json (installed by the project's build),
/// injected by the driver: the pages' Content-Security-Policy stays as it is.
/// </summary>
public sealed class AccessibilityBrowserTests
{
    private static readonly string AxePath = Path.Combine(
        typeof(AccessibilityBrowserTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!,
        "tests", "JobTracking.Dashboard.Tests", "node_modules", "axe-core", "axe.min.js");

    private static readonly string[] Tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

    [Fact]
    public async Task EveryPage_HasNoSeriousOrCriticalAxeViolation()
    {
        var axe = ReadAxe();
        using var browser = ChromiumBrowser.Start();
        await using var server = await WebSampleServer.StartAsync();
        var runner = server.Services.GetRequiredService<IJobRunner>();
        var finished = await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters { RowDelayMilliseconds = 0 },
            new JobStartOptions { DisplayName = "Import products.csv", LaunchedBy = "accessibility test" });
        using (var timeout = new CancellationTokenSource(Wait.DefaultTimeout))
        {
            await runner.WaitForCompletionAsync(finished, timeout.Token);
        }

        var running = await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters { RowDelayMilliseconds = 1000 },
            new JobStartOptions { DisplayName = "Import prices.csv", LaunchedBy = "accessibility test" });

        var pages = new[]
        {
            "/jobs",
            "/jobs?status=Completed",
            $"/jobs/{finished}",
            $"/jobs/{finished}?tab=log",
            $"/jobs/{finished}?tab=rejects",
            $"/jobs/{running}",
            "/jobs/schedules",
            "/jobs/instances",
            "/jobs?status=NotAStatus",
            // French (the sample reads the culture from the query string too): longer words, the same rules.
            "/jobs?culture=fr",
            $"/jobs/{finished}?culture=fr",
        };

        var found = new List<string>();
        foreach (var page in pages)
        {
            browser.Driver.Navigate().GoToUrl(server.Address + page);
            browser.Until(d => d.FindElement(By.CssSelector("body")), $"the page {page}");
            foreach (var violation in Run(browser, axe))
            {
                found.Add($"{page}: {violation}");
            }
        }

        foreach (var violation in found)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(violation);
        }

        found.Should().BeEmpty("axe-core finds no serious or critical WCAG 2.2 AA violation on any page");
    }

    [Fact]
    public async Task Keyboard_SkipLinkThenAJobThenPause_WithoutAMouse()
    {
        using var browser = ChromiumBrowser.Start();
        await using var server = await WebSampleServer.StartAsync();
        var runner = server.Services.GetRequiredService<IJobRunner>();
        var id = await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters { RowDelayMilliseconds = 1000 },
            new JobStartOptions { DisplayName = "Import products.csv", LaunchedBy = "keyboard test" });
        var driver = browser.Driver;
        driver.Navigate().GoToUrl(server.Address + "/jobs");
        browser.Until(d => d.FindElement(By.CssSelector($"#jt-rows tr[data-job-id='{id}'] .jt-name a")), "the job's row");

        // The first Tab stop is the skip link; following it puts the focus on the content, past the header and filters.
        Press(driver, Keys.Tab);
        Focused(driver).Class.Should().Contain("jt-skip", "the first Tab stop skips to the content");
        Press(driver, Keys.Enter);
        browser.Until(d => Focused(d).Id == "jt-main" ? true : (bool?)null, "the focus on the content");

        // From the content, Tab reaches the job's link; Enter opens its page.
        var stops = 0;
        while (Focused(driver).Href is not { } href || !href.EndsWith($"/jobs/{id}", StringComparison.Ordinal))
        {
            Press(driver, Keys.Tab);
            (++stops).Should().BeLessThanOrEqualTo(150, "the job's link is reached by Tab from the content (past the filters and, at most, 50 rows of a checkbox and a link each)");
        }

        Press(driver, Keys.Enter);
        browser.Until(d => d.FindElement(By.CssSelector("body[data-live=on][data-kind=job]")), "the job page");

        // Tab to the Pause button and press it; the confirmation is answered from the keyboard too.
        stops = 0;
        while (!Focused(driver).Class.Contains("jt-cmd-pause", StringComparison.Ordinal))
        {
            Press(driver, Keys.Tab);
            (++stops).Should().BeLessThanOrEqualTo(40, "the Pause button is reached by Tab");
        }

        // The page refreshes itself on the job's progress (every second here): the keyboard's place stays where it was.
        var js = (IJavaScriptExecutor)driver;
        js.ExecuteScript("window.jtMark = document.getElementById('jt-main').firstElementChild;");
        browser.Until(_ => js.ExecuteScript("return !document.contains(window.jtMark);") is true ? true : (bool?)null, "the job page to refresh itself on a progress event");
        Focused(driver).Class.Should().Contain("jt-cmd-pause", "a live refresh keeps the focus on the control that had it");

        Press(driver, Keys.Enter);
        var alert = browser.Until(d =>
        {
            try
            {
                return d.SwitchTo().Alert();
            }
            catch (NoAlertPresentException)
            {
                return null;
            }
        }, "the confirmation");
        alert.Text.Should().StartWith("Pause 'Import products.csv'?");
        alert.Accept();
        using var timeout = new CancellationTokenSource(Wait.DefaultTimeout);
        (await runner.WaitForStatusAsync(id, [JobStatus.Paused], timeout.Token)).Status.Should().Be(JobStatus.Paused);
        browser.Until(d => d.FindElement(By.CssSelector("#jt-job-status .jt-badge")).Text == "Paused" ? true : (bool?)null, "the page to show Paused");
    }

    private static string ReadAxe()
    {
        if (File.Exists(AxePath))
        {
            return File.ReadAllText(AxePath);
        }

        var reason = $"axe-core is not installed ({AxePath} is missing): the test project's build installs it with 'npm ci' when npm is on the machine; run 'npm ci' in tests/JobTracking.Dashboard.Tests.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail("CI=true, so the accessibility tests must run: " + reason);
        }

        Assert.Skip(reason);
        return string.Empty;
    }

    // Injects axe-core, runs the WCAG 2.2 A/AA rules over the page, and describes each serious or critical violation.
    private static IEnumerable<string> Run(ChromiumBrowser browser, string axe)
    {
        var js = (IJavaScriptExecutor)browser.Driver;
        js.ExecuteScript(axe);
        var json = (string?)js.ExecuteAsyncScript(
            "const done = arguments[arguments.length - 1];" +
            "axe.run(document, { runOnly: { type: 'tag', values: " + JsonSerializer.Serialize(Tags) + " }, resultTypes: ['violations'] })" +
            ".then(r => done(JSON.stringify(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) })))))" +
            ".catch(e => done(JSON.stringify([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }])));");
        using var document = JsonDocument.Parse(json ?? throw new InvalidOperationException("axe-core returned nothing."));
        foreach (var violation in document.RootElement.EnumerateArray())
        {
            var impact = violation.GetProperty("impact").GetString();
            if (impact is "serious" or "critical")
            {
                var nodes = string.Join(", ", violation.GetProperty("nodes").EnumerateArray().Take(5).Select(n => n.GetString()));
                yield return $"{violation.GetProperty("id").GetString()} ({impact}): {violation.GetProperty("help").GetString()} at {nodes}";
            }
        }
    }

    private static void Press(IWebDriver driver, string key) => new Actions(driver).SendKeys(key).Perform();

    // Read in one script call: a live update may replace the focused element between two WebDriver calls.
    private static (string Class, string Id, string? Href) Focused(IWebDriver driver)
    {
        var read = (IReadOnlyCollection<object?>)((IJavaScriptExecutor)driver).ExecuteScript(
            "const e = document.activeElement; return [e ? String(e.className) : '', e ? e.id : '', e && e.href ? String(e.href) : null];")!;
        var values = read.ToList();
        return ((string?)values[0] ?? "", (string?)values[1] ?? "", (string?)values[2]);
    }
}
