using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using JobTracking.Benchmarks.Systems;
using JobTracking.Sqlite;
using Microsoft.Data.Sqlite;

namespace JobTracking.Benchmarks;

/// <summary>
/// The process tracker's list page on the SQLite store (<c>IJobStore.QueryAsync</c>, what <c>IJobTracker.ListAsync</c>
/// calls), over 1,000,000 stored jobs: the newest 50, the newest 50 with a status filter that matches one job in ten,
/// and the second page through the first page's <c>PageToken</c>. The baseline is reading one job by id. The jobs are
/// the same as <see cref="QueryBenchmarks"/>' (drafts one millisecond apart, one in ten discarded, so Cancelled), so
/// the two classes compare directly.
/// </summary>
/// <remarks>
/// The file is built once through the store's public API (concurrent <c>CreateAsync</c> and <c>TryTransitionAsync</c>
/// calls, which the store's group commit puts in transactions of up to 256 writes) and kept in the temp folder
/// (<c>jobtracking-bench/list-&lt;jobs&gt;-&lt;store build&gt;.db</c>, with a <c>.complete</c> marker written once the
/// build has finished): a later run of the same SQLite store build whose file is complete and holds the right number
/// of jobs reuses it. The store build is a hash of the JobTracking.Sqlite assembly, so a file written by another
/// version of the store (another schema) is never reused. Delete the folder to rebuild it.
/// </remarks>
[MemoryDiagnoser]
public class SqliteQueryBenchmarks
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private static readonly JobQuery FirstPage = new() { PageSize = 50 };
    private static readonly JobQuery CancelledOnly = new() { PageSize = 50, Statuses = [JobStatus.Cancelled] };

    private SqliteJobStore _store = null!;
    private JobQuery _secondPage = null!;
    private Guid _someId;

    [ParamsSource(nameof(Sizes))]
    public int StoredJobs { get; set; }

    /// <summary>1,000,000 stored jobs, as the target; 10,000 in smoke mode.</summary>
    public static IEnumerable<int> Sizes => BenchmarkSettings.Smoke ? [10_000] : [1_000_000];

    [GlobalSetup]
    public void Open()
    {
        _store = SqliteJobStores.Open("Data Source=" + PrepareFile(StoredJobs));
        var first = _store.QueryAsync(FirstPage).AsTask().GetAwaiter().GetResult();
        _someId = first.Items[0].Id;
        _secondPage = FirstPage with { PageToken = first.NextPageToken ?? throw new InvalidOperationException("The first page has no next page.") };
    }

    /// <summary>
    /// The path of the file with <paramref name="storedJobs"/> jobs, built now unless a complete one of this store build
    /// is already in the temp folder. <see cref="DashboardPageBenchmarks"/> lists the same file through the dashboard.
    /// </summary>
    public static string PrepareFile(int storedJobs)
    {
        var path = Path.Combine(TempDatabase.Folder, string.Create(CultureInfo.InvariantCulture, $"list-{storedJobs}-{StoreBuild()}.db"));
        Directory.CreateDirectory(TempDatabase.Folder);
        if (CountJobs(path) != storedJobs)
        {
            TempDatabase.Delete(path);
            File.Delete(path + ".complete");
            FillAsync(path, storedJobs).GetAwaiter().GetResult();
            File.WriteAllText(path + ".complete", storedJobs.ToString(CultureInfo.InvariantCulture));
        }

        return path;
    }

    // Files of another store build may hold another schema under the same version number while it is unreleased.
    private static string StoreBuild() =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(typeof(SqliteJobStore).Assembly.Location)))[..16];

    [GlobalCleanup]
    public void Close() => ((IAsyncDisposable)_store).DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "SQLite GetAsync(id)")]
    public JobRecord? GetOne() => _store.GetAsync(_someId).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "SQLite list page: newest 50")]
    public JobPage ListFirstPage() => _store.QueryAsync(FirstPage).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "SQLite list page: newest 50 cancelled (1 in 10)")]
    public JobPage ListFilteredPage() => _store.QueryAsync(CancelledOnly).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "SQLite list page: second page (PageToken)")]
    public JobPage ListSecondPage() => _store.QueryAsync(_secondPage).AsTask().GetAwaiter().GetResult();

    /// <summary>The jobs in the file, or -1 when there is no complete file (the marker beside it is written only once the fill has finished).</summary>
    private static long CountJobs(string path) => File.Exists(path) && File.Exists(path + ".complete") ? CountRows(path) : -1;

    private static long CountRows(string path)
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM jobs";
            return (long)command.ExecuteScalar()!;
        }
#pragma warning disable CA1031 // Not a usable file (half written, older schema, damaged): build it again.
        catch (Exception)
#pragma warning restore CA1031
        {
            return -1;
        }
    }

    /// <summary>Creates the jobs through the store's API, many calls in flight so group commit batches them; Synchronous = Normal, as nothing here needs to survive a power cut.</summary>
    private static async Task FillAsync(string path, int jobs)
    {
        const int Chunk = 4096;
        var clock = Stopwatch.StartNew();
        var store = SqliteJobStores.Open("Data Source=" + path, new SqliteJobStoreOptions { Synchronous = SqliteSynchronousMode.Normal });
        await using ((IAsyncDisposable)store)
        {
            var pending = new List<Task>(Chunk);
            var discards = new List<JobTransition>(Chunk / 10 + 1);
            for (var from = 0; from < jobs; from += Chunk)
            {
                for (var i = from; i < Math.Min(jobs, from + Chunk); i++)
                {
                    var job = Job(i);
                    pending.Add(store.CreateAsync(job).AsTask());
                    if (i % 10 == 0)
                    {
                        // One job in ten is cancelled (a draft discarded), for the filtered page.
                        discards.Add(new JobTransition { JobId = job.Id, FromStatus = JobStatus.Editing, ExpectedVersion = 1, ToStatus = JobStatus.Cancelled, At = job.CreatedAt });
                    }
                }

                await Task.WhenAll(pending);
                pending.Clear();
                foreach (var discard in discards)
                {
                    pending.Add(store.TryTransitionAsync(discard).AsTask());
                }

                await Task.WhenAll(pending);
                pending.Clear();
                discards.Clear();
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// built {path}: {jobs:N0} jobs in {clock.Elapsed.TotalSeconds:N1} s ({jobs / clock.Elapsed.TotalSeconds:N0} creates/s), {new FileInfo(path).Length / 1048576.0:N0} MB"));
    }

    private static JobRecord Job(int i)
    {
        var created = Start.AddMilliseconds(i);
        return new JobRecord
        {
            Id = Guid.CreateVersion7(created),
            TypeName = nameof(NoOpJob),
            DisplayName = "Import " + i.ToString(CultureInfo.InvariantCulture),
            Status = JobStatus.Editing,
            Version = 1,
            Parameters = "{}",
            CreatedAt = created,
        };
    }
}
