using BenchmarkDotNet.Attributes;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// Enqueue to finished on the SQLite store through bulk start: one caller starts <see cref="Jobs"/> no-op jobs with
/// <c>IJobRunner.StartManyAsync</c> in batches of <see cref="CompareReport.BulkBatch"/>, and the benchmark returns when
/// the last has run and its worker has stored Completed. Synchronous = Full (the default) is the baseline. Each
/// iteration gets a fresh system on a fresh file in the temp folder. The time is per iteration: divide by
/// <see cref="Jobs"/> for the time per job (<c>--sqlite-bulk</c> prints jobs per second directly).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
[Config(typeof(ThroughputConfig))]
public class SqliteBulkStartBenchmarks
{
    private JobTrackingSystem? _system;

    public static IEnumerable<int> Sizes => BenchmarkSettings.Smoke ? [1_000] : [20_000];

    [ParamsSource(nameof(Sizes))]
    public int Jobs { get; set; }

    [GlobalSetup(Target = nameof(SqliteFull))]
    public void WarmUpSqliteFull() => WarmUp(BenchStore.SqliteFull);

    [GlobalSetup(Target = nameof(SqliteNormal))]
    public void WarmUpSqliteNormal() => WarmUp(BenchStore.SqliteNormal);

    [IterationSetup(Target = nameof(SqliteFull))]
    public void StartSqliteFull() => Start(BenchStore.SqliteFull);

    [IterationSetup(Target = nameof(SqliteNormal))]
    public void StartSqliteNormal() => Start(BenchStore.SqliteNormal);

    [IterationCleanup]
    public void Stop()
    {
        // Disposing the system closes the store and deletes its file.
        _system?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _system = null;
    }

    [Benchmark(Baseline = true, Description = "JobTracking, SQLite, Synchronous = Full (default), bulk start")]
    public Task SqliteFull() => _system!.RunAsync(Jobs);

    [Benchmark(Description = "JobTracking, SQLite, Synchronous = Normal, bulk start")]
    public Task SqliteNormal() => _system!.RunAsync(Jobs);

    private static JobTrackingSystem Create(BenchStore store) => JobTrackingSystem.Create(store: store, bulkBatch: CompareReport.BulkBatch);

    private void WarmUp(BenchStore store) =>
        JobSystems.WarmUpAsync(() => Create(store), Jobs, BenchmarkSettings.Warmup).GetAwaiter().GetResult();

    private void Start(BenchStore store)
    {
        var system = Create(store);
        system.StartAsync().GetAwaiter().GetResult();
        _system = system;
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}
