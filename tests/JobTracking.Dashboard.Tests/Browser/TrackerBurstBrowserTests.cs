using System.Diagnostics;
using JobTracking.WebSample.Jobs;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;

namespace JobTracking.Dashboard.Tests.Browser;

/// <summary>
/// The live tracker in a real browser while 2,000 jobs start at once: the page keeps answering, shows no more rows than
/// a page holds (a bar says how many new jobs are not shown), no more than three toasts, and once the jobs are done every
/// row shows the status the store has.
/// </summary>
[Collection(TrackerBurstCollection.Name)]
public sealed class TrackerBurstBrowserTests
{
    private const int Jobs = 2_000;
    private const int PageSize = 50;
    private static readonly TimeSpan MaxRoundTrip = TimeSpan.FromSeconds(1);

    // Watches the page from inside: the most rows and toasts it ever held (a mutation observer sees every change, not
    // only the ones a poll happens to catch), how often the live region's text changed, long tasks, and the requests the
    // page made for rows (and how many failed).
    private const string Probe = """
        window.jtProbe = { maxRows: 0, maxToasts: 0, announcements: 0, longTasks: [], rowFetches: 0, rowIds: 0, failedFetches: 0, countFetches: 0, countTimes: [], mostFinished: 0 };
        var p = window.jtProbe;
        function measure() {
          p.maxRows = Math.max(p.maxRows, document.querySelectorAll('#jt-rows tr').length);
          p.maxToasts = Math.max(p.maxToasts, document.querySelectorAll('.jt-toast').length);
          document.querySelectorAll('.jt-toast[data-toast=finished]').forEach(function (t) {
            var m = /^([0-9,]+) jobs finished/.exec(t.textContent);
            if (m) { p.mostFinished = Math.max(p.mostFinished, Number(m[1].replace(/,/g, ''))); }
          });
        }
        new MutationObserver(function (records) {
          measure();
          records.forEach(function (r) {
            var node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
            var region = node && node.closest('[aria-live]');
            if (region && region.getAttribute('aria-live') !== 'off') { p.announcements++; }
          });
        }).observe(document.body, { childList: true, subtree: true, characterData: true });
        try {
          new PerformanceObserver(function (list) { list.getEntries().forEach(function (e) { p.longTasks.push(Math.round(e.duration)); }); })
            .observe({ type: 'longtask', buffered: true });
        } catch (e) { }
        var original = window.fetch;
        window.fetch = function (url) {
          var text = String(url);
          var isRows = text.indexOf('/rows') >= 0;
          if (isRows) {
            p.rowFetches++;
            var ids = text.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g);
            p.rowIds += ids ? ids.length : 0;
          }
          if (text.indexOf('/api/counts') >= 0) { p.countFetches++; p.countTimes.push(Math.round(performance.now())); }
          return original.apply(window, arguments).then(function (response) {
            if (isRows && !response.ok) { p.failedFetches++; }
            return response;
          }, function (error) {
            if (isRows) { p.failedFetches++; }
            throw error;
          });
        };
        measure();
        """;

    // Without filters every new job belongs on the first page; with filters the server says which do.
    [Theory]
    [InlineData("")]
    [InlineData("?user=burst+test")]
    public async Task Burst_TwoThousandJobsStartedAtOnce_PageKeepsAnswering_RowsStayWithinThePage_ToastsMerge_AndNoStatusStaysStale(string filters)
    {
        var output = TestContext.Current.TestOutputHelper;
        using var browser = ChromiumBrowser.Start();
        await using var server = await WebSampleServer.StartAsync();
        var runner = server.Services.GetRequiredService<IJobRunner>();
        var tracker = server.Services.GetRequiredService<IJobTracker>();
        var driver = browser.Driver;
        var js = (IJavaScriptExecutor)driver;
        driver.Navigate().GoToUrl(server.Address + "/jobs" + filters);
        browser.Until(d => d.FindElement(By.CssSelector("body[data-live=on]")), "the live stream to open");
        js.ExecuteScript(Probe);
        js.ExecuteScript("window.jtNotReloaded = true;");

        var clock = Stopwatch.StartNew();
        var start = runner.Job<ProductExportJob>().StartManyAsync(
            [.. Enumerable.Range(0, Jobs).Select(_ => new ProductExportParameters { RowDelayMilliseconds = 0 })],
            new JobStartOptions { DisplayName = "Burst export", LaunchedBy = "burst test" }).AsTask();

        // While the jobs run: a script round trip answers within a second, every time.
        var slowest = TimeSpan.Zero;
        var slow = new List<string>();
        var probes = 0;
        while (true)
        {
            // The answer waits for the page's next frame: a page busy for a second cannot answer sooner.
            var roundTrip = Stopwatch.StartNew();
            IReadOnlyCollection<object> seen;
            try
            {
                seen = (IReadOnlyCollection<object>)js.ExecuteAsyncScript(
                    "var done = arguments[arguments.length - 1]; requestAnimationFrame(function () { " +
                    "done([document.querySelectorAll('#jt-rows tr').length, document.querySelectorAll('.jt-toast').length]); });")!;
            }
            catch (WebDriverException exception) when (exception.InnerException is TaskCanceledException)
            {
                // The driver gave up waiting for the page; counted as a slow answer, and the burst is followed to its end.
                seen = ["no answer"];
            }

            roundTrip.Stop();
            probes++;
            slowest = roundTrip.Elapsed > slowest ? roundTrip.Elapsed : slowest;
            if (roundTrip.Elapsed > MaxRoundTrip)
            {
                slow.Add($"{roundTrip.Elapsed.TotalMilliseconds:0} ms at {clock.Elapsed.TotalSeconds:0.0} s (rows/toasts {string.Join("/", seen)})");
            }

            if (start.IsCompleted && await FinishedAsync(tracker) == Jobs)
            {
                break;
            }

            clock.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(3), "2,000 short jobs finish in time");
        }

        await start;
        output?.WriteLine($"{(filters.Length == 0 ? "no filter" : filters)}: {Jobs} jobs done after {clock.Elapsed.TotalSeconds:0.0} s; {probes} round trips, slowest {slowest.TotalMilliseconds:0} ms");

        // Once quiet, every row shows what the store says (an event that arrived while its row was fetched is not lost).
        // Every job has finished, so what the store says no longer changes.
        var stored = await StatusesAsync(tracker);
        var stale = "";
        var quiet = Stopwatch.StartNew();
        var settled = false;
        try
        {
            settled = browser.Until<bool?>(_ =>
            {
                var rows = (IReadOnlyCollection<object>?)Answer(js,
                    "return Array.prototype.map.call(document.querySelectorAll('#jt-rows tr'), function (r) { return r.getAttribute('data-job-id') + ' ' + r.getAttribute('data-status'); });");
                if (rows is null)
                {
                    stale = "the page did not answer";
                    return null;
                }

                var wrong = new List<string>();
                foreach (var row in rows.Cast<string>())
                {
                    var parts = row.Split(' ');
                    var status = stored[parts[0]];
                    if (status != parts[1])
                    {
                        wrong.Add($"{parts[0]} shows {parts[1]}, is {status}");
                    }
                }

                stale = $"{wrong.Count} of {rows.Count} rows stale: {string.Join("; ", wrong.Take(5))}";
                return wrong.Count == 0 ? true : (bool?)null;
            }, "every row to show its job's stored status", TimeSpan.FromSeconds(30)) == true;
        }
        catch (WebDriverException)
        {
            // Reported below, with what the page went through.
        }

        output?.WriteLine($"rows matched the store {quiet.Elapsed.TotalSeconds:0.0} s after the last job finished ({stale})");

        var probe = (IDictionary<string, object>)browser.Until(_ => Answer(js, "return window.jtProbe;"), "the page to answer", TimeSpan.FromSeconds(60));
        var longTasks = ((IReadOnlyCollection<object>)probe["longTasks"]).Select(Convert.ToInt64).ToList();
        output?.WriteLine(
            $"most rows {probe["maxRows"]}, most toasts {probe["maxToasts"]} (most jobs in one 'finished' toast {probe["mostFinished"]}), live region changes {probe["announcements"]}, " +
            $"row requests {probe["rowFetches"]} for {probe["rowIds"]} ids ({probe["failedFetches"]} failed), counts requests {probe["countFetches"]}, " +
            $"long tasks {longTasks.Count} (longest {(longTasks.Count == 0 ? 0 : longTasks.Max())} ms, total {longTasks.Sum()} ms)");
        var countTimes = ((IReadOnlyCollection<object>)probe["countTimes"]).Select(Convert.ToInt64).ToList();
        var longestWithoutCounts = countTimes.Count < 2 ? long.MaxValue : countTimes.Zip(countTimes.Skip(1), (a, b) => b - a).Max();
        output?.WriteLine($"counts read {countTimes.Count} times, at most {longestWithoutCounts} ms apart");
        var newJobs = driver.FindElements(By.Id("jt-new-jobs"));
        output?.WriteLine($"bar: {(newJobs.Count == 0 ? "none" : newJobs[0].Text)}");

        slow.Should().BeEmpty($"the page answers a script within {MaxRoundTrip.TotalSeconds:0} s throughout the burst");
        Convert.ToInt64(probe["maxRows"]).Should().BeLessThanOrEqualTo(PageSize, "the page never holds more rows than a page");
        Convert.ToInt64(probe["maxToasts"]).Should().BeLessThanOrEqualTo(3, "toasts merge instead of piling up");
        Convert.ToInt64(probe["mostFinished"]).Should().BeGreaterThan(1, "one toast counts the jobs that finished (\"120 jobs finished\")");
        Convert.ToInt64(probe["announcements"]).Should().BeLessThan(100, "the live region announces a summary, not each of 4,000 events");
        Convert.ToInt64(probe["failedFetches"]).Should().Be(0);
        js.ExecuteScript("return window.jtNotReloaded === true;").Should().Be(true, "the page followed the burst without reloading");
        settled.Should().BeTrue($"once the jobs are done every row shows its stored status ({stale})");

        // The counts in the header follow the burst (read about once a second, not held back until it ends) and end right.
        longestWithoutCounts.Should().BeLessThan(3_000, "the counts are read at least every second or so while events come");
        browser.Until(d => d.FindElement(By.CssSelector("#jt-counts [data-status=Completed] b")).Text == $"{Jobs:N0}" ? true : (bool?)null,
            "the header to count every job as finished");

        // The jobs that did not fit are counted in the bar, whose link shows the newest page.
        browser.Until(d => d.FindElement(By.Id("jt-new-jobs")).Text.Contains($"{Jobs - PageSize:N0} new jobs", StringComparison.Ordinal) ? true : (bool?)null,
            "the bar to count the jobs that did not fit");
        var newest = (await tracker.ListAsync(new JobQuery { PageSize = PageSize })).Items.Select(j => j.Id.ToString()).ToList();
        driver.FindElement(By.CssSelector("#jt-new-jobs a")).Click();
        browser.Until(d => d.FindElements(By.CssSelector("#jt-rows tr")).Select(r => r.GetAttribute("data-job-id")).SequenceEqual(newest) ? true : (bool?)null,
            "the first page to show the newest jobs");
        driver.FindElements(By.Id("jt-new-jobs")).Should().BeEmpty("the page is the first page as it is now");
    }

    // A script's answer, or null when the driver gave up waiting for the page (it is busy).
    private static object? Answer(IJavaScriptExecutor js, string script)
    {
        try
        {
            return js.ExecuteScript(script);
        }
        catch (WebDriverException exception) when (exception.InnerException is TaskCanceledException)
        {
            return null;
        }
    }

    private static async Task<Dictionary<string, string>> StatusesAsync(IJobTracker tracker)
    {
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        var query = new JobQuery { PageSize = JobQuery.MaxPageSize };
        while (true)
        {
            var page = await tracker.ListAsync(query);
            foreach (var job in page.Items)
            {
                statuses[job.Id.ToString()] = job.Status.ToString();
            }

            if (page.NextPageToken is null)
            {
                return statuses;
            }

            query = query with { PageToken = page.NextPageToken };
        }
    }

    private static async Task<long> FinishedAsync(IJobTracker tracker) =>
        (await tracker.CountAsync()).Where(c => JobLifecycle.IsFinished(c.Status)).Sum(c => c.Count);
}

/// <summary>
/// The burst measures how fast the page answers, so it runs alone, after the tests that run in parallel: on a small
/// machine another browser test's work would be counted as the page's.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrackerBurstCollection
{
    public const string Name = "Tracker burst";
}
