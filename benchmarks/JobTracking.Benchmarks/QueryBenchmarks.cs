using BenchmarkDotNet.Attributes;
using JobTracking.Storage;
using Microsoft.Extensions.Options;

namespace JobTracking.Benchmarks;

/// <summary>
/// The process tracker's list page over the in-memory store: the newest 50 jobs, with no filter and with a status
/// filter that matches one job in ten, and the second page through the first page's PageToken, as the number of
/// stored jobs grows. The baseline is reading one job by id. <see cref="SqliteQueryBenchmarks"/> is the same on SQLite.
/// </summary>
[MemoryDiagnoser]
public class QueryBenchmarks
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private static readonly JobQuery FirstPage = new() { PageSize = 50 };
    private static readonly JobQuery CancelledOnly = new() { PageSize = 50, Statuses = [JobStatus.Cancelled] };

    private InMemoryJobStore _store = null!;
    private Guid _someId;
    private JobQuery _secondPage = null!;

    [ParamsSource(nameof(Sizes))]
    public int StoredJobs { get; set; }

    public static IEnumerable<int> Sizes => BenchmarkSettings.Smoke ? [1_000] : [1_000, 100_000, 1_000_000];

    [GlobalSetup]
    public void Fill()
    {
        _store = new InMemoryJobStore(maxFinishedJobs: null); // keep every cancelled job: the pages are measured over all of them
        for (var i = 0; i < StoredJobs; i++)
        {
            var created = Start.AddMilliseconds(i);
            var job = new JobRecord
            {
                Id = Guid.CreateVersion7(created),
                TypeName = nameof(NoOpJob),
                DisplayName = "Import " + i,
                Status = JobStatus.Editing,
                Version = 1,
                Parameters = "{}",
                CreatedAt = created,
            };
            _store.CreateAsync(job).AsTask().GetAwaiter().GetResult();
            if (i % 10 == 0)
            {
                // One job in ten is cancelled (a draft discarded), for the filtered page.
                var discard = new JobTransition { JobId = job.Id, FromStatus = JobStatus.Editing, ExpectedVersion = 1, ToStatus = JobStatus.Cancelled, At = created };
                _store.TryTransitionAsync(discard).AsTask().GetAwaiter().GetResult();
            }

            _someId = job.Id;
        }

        var first = _store.QueryAsync(FirstPage).AsTask().GetAwaiter().GetResult();
        _secondPage = FirstPage with { PageToken = first.NextPageToken };
    }

    [Benchmark(Baseline = true, Description = "GetAsync(id)")]
    public JobRecord? GetOne() => _store.GetAsync(_someId).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "List page: newest 50")]
    public JobPage ListFirstPage() => _store.QueryAsync(FirstPage).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "List page: newest 50 cancelled (1 in 10)")]
    public JobPage ListFilteredPage() => _store.QueryAsync(CancelledOnly).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "List page: second page (PageToken)")]
    public JobPage ListSecondPage() => _store.QueryAsync(_secondPage).AsTask().GetAwaiter().GetResult();
}
