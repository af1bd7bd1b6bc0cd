using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using JobTracking.Benchmarks.Systems;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Benchmarks;

/// <summary>
/// The dashboard's process tracker page over the SQLite file of <see cref="SqliteQueryBenchmarks"/> (1,000,000 jobs;
/// 10,000 in smoke mode): one GET through a real loopback socket to the app on Kestrel, the whole HTML page read.
/// Each page is what the tracker serves: the list (50 jobs), the counts per status in the header, the filter form and
/// an antiforgery token for the bulk buttons (loopback requests may act). Pages: the newest jobs; filtered by a status
/// (Cancelled, one job in ten), by a type (every job of the file has the same type), by a user (nobody launched the
/// file's jobs, so the page is empty: the index lookup alone), and by all three together; and page 2, through the
/// "Older jobs" link of page 1 (its keyset token). The baseline is the dashboard's stylesheet, the smallest thing it
/// serves: the cost of the request itself.
/// </summary>
[MemoryDiagnoser]
public class DashboardPageBenchmarks
{
    private DashboardHost _host = null!;
    private string _stylesheet = null!;
    private string _secondPage = null!;

    [ParamsSource(nameof(Sizes))]
    public int StoredJobs { get; set; }

    /// <summary>The sizes of <see cref="SqliteQueryBenchmarks"/>, so the file it keeps is the one listed here.</summary>
    public static IEnumerable<int> Sizes => SqliteQueryBenchmarks.Sizes;

    [GlobalSetup]
    public void Start()
    {
        var path = SqliteQueryBenchmarks.PrepareFile(StoredJobs);
        _host = DashboardHost.StartAsync(jobs => jobs.AddJob<NoOpJob>().UseSqlite("Data Source=" + path)).GetAwaiter().GetResult();
        var first = GetAsync("/jobs").GetAwaiter().GetResult();
        _stylesheet = Link(first, """<link rel="stylesheet" href="([^"]+)""");
        _secondPage = WebUtility.HtmlDecode(Link(first, """<a class="jt-button" rel="next" href="([^"]+)"""));
        var rows = Regex.Count(first, "<tr data-job-id=");
        if (rows != 50)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The first page lists {rows} jobs, not 50."));
        }
    }

    [GlobalCleanup]
    public void Stop() => _host.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "GET stylesheet (request floor)")]
    public Task<string> Stylesheet() => GetAsync(_stylesheet);

    [Benchmark(Description = "GET /jobs: newest 50")]
    public Task<string> Newest() => GetAsync("/jobs");

    [Benchmark(Description = "GET /jobs?status=Cancelled (1 in 10)")]
    public Task<string> ByStatus() => GetAsync("/jobs?status=Cancelled");

    [Benchmark(Description = "GET /jobs?type=NoOpJob (every job)")]
    public Task<string> ByType() => GetAsync("/jobs?type=NoOpJob");

    [Benchmark(Description = "GET /jobs?user=alice (no job)")]
    public Task<string> ByUser() => GetAsync("/jobs?user=alice");

    [Benchmark(Description = "GET /jobs?status&type&user (no job)")]
    public Task<string> ByAllThree() => GetAsync("/jobs?status=Cancelled&type=NoOpJob&user=alice");

    [Benchmark(Description = "GET /jobs page 2 (Older jobs link)")]
    public Task<string> SecondPage() => GetAsync(_secondPage);

    private async Task<string> GetAsync(string url)
    {
        using var response = await _host.Client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.OK
            ? body
            : throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
    }

    private static string Link(string page, string pattern) =>
        Regex.Match(page, pattern) is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException($"The tracker page has no match for {pattern}.");
}
