using BenchmarkDotNet.Attributes;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// Enqueue to finished on the SQLite store, per job, beside the in-memory store (the baseline, so the Ratio column
/// reads "a job on SQLite takes N times as long"): no-op jobs are started through <c>IJobRunner.StartAsync</c> and the
/// benchmark returns when the last has run and its worker has stored Completed. Each iteration gets a fresh system and,
/// for SQLite, a fresh file in the temp folder (created and opened before the iteration, deleted after it).
/// <see cref="Callers"/> = 1 starts the jobs one by one from one caller, the shape of <see cref="EndToEndBenchmarks"/>;
/// 64 starts them from 64 concurrent callers (a web application's requests), so the store's group commit can put many
/// callers' writes in one transaction and, with Synchronous = Full, one disk flush.
/// </summary>
/// <remarks>
/// Every store call of the SQLite store returns once its transaction has committed, so with one caller and
/// Synchronous = Full each start waits for at least one flush of the write-ahead log (fsync). The batches are sized so
/// an iteration takes about a second or more on a disk with millisecond flushes.
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(1)]
[Config(typeof(ThroughputConfig))]
public class SqliteEndToEndBenchmarks
{
    /// <summary>Jobs per iteration in memory (as <see cref="EndToEndBenchmarks"/>).</summary>
    public const int InMemoryJobs = 50_000;

    /// <summary>Jobs per iteration on SQLite with Synchronous = Normal.</summary>
    public const int NormalJobs = 10_000;

    /// <summary>Jobs per iteration on SQLite with Synchronous = Full.</summary>
    public const int FullJobs = 2_000;

    private JobTrackingSystem? _system;

    [Params(1, 64)]
    public int Callers { get; set; }

    [GlobalSetup(Target = nameof(InMemory))]
    public void WarmUpInMemory() => WarmUp(BenchStore.InMemory, InMemoryJobs);

    [GlobalSetup(Target = nameof(SqliteNormal))]
    public void WarmUpSqliteNormal() => WarmUp(BenchStore.SqliteNormal, NormalJobs);

    [GlobalSetup(Target = nameof(SqliteFull))]
    public void WarmUpSqliteFull() => WarmUp(BenchStore.SqliteFull, FullJobs);

    [IterationSetup(Target = nameof(InMemory))]
    public void StartInMemory() => Start(BenchStore.InMemory);

    [IterationSetup(Target = nameof(SqliteNormal))]
    public void StartSqliteNormal() => Start(BenchStore.SqliteNormal);

    [IterationSetup(Target = nameof(SqliteFull))]
    public void StartSqliteFull() => Start(BenchStore.SqliteFull);

    [IterationCleanup]
    public void Stop()
    {
        // Disposing the system closes the store and deletes its file.
        _system?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _system = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = InMemoryJobs, Description = "JobTracking, in-memory store")]
    public Task InMemory() => _system!.RunAsync(InMemoryJobs);

    [Benchmark(OperationsPerInvoke = NormalJobs, Description = "JobTracking, SQLite, Synchronous = Normal")]
    public Task SqliteNormal() => _system!.RunAsync(NormalJobs);

    [Benchmark(OperationsPerInvoke = FullJobs, Description = "JobTracking, SQLite, Synchronous = Full (default)")]
    public Task SqliteFull() => _system!.RunAsync(FullJobs);

    private void WarmUp(BenchStore store, int jobs) =>
        JobSystems.WarmUpAsync(() => JobTrackingSystem.Create(store: store, callers: Callers), jobs, BenchmarkSettings.Warmup).GetAwaiter().GetResult();

    private void Start(BenchStore store)
    {
        var system = JobTrackingSystem.Create(store: store, callers: Callers);
        system.StartAsync().GetAwaiter().GetResult();
        _system = system;
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}
