using BenchmarkDotNet.Attributes;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// Enqueue to finished on the PostgreSQL store through bulk start: <see cref="Jobs"/> no-op jobs started with
/// <c>IJobRunner.StartManyAsync</c> in batches of <see cref="CompareReport.BulkBatch"/> (one caller per instance, each
/// starting its instance's share), and the benchmark returns when the last has run and its worker has stored Completed.
/// One instance is the baseline, three instances on the same schema beside it. Each iteration gets a fresh system in a
/// fresh schema, dropped after it. The time is per iteration: divide by <see cref="Jobs"/> for the time per job
/// (<c>--postgres-compare</c> prints jobs per second directly).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
[Config(typeof(ThroughputConfig))]
public class PostgreSqlBulkStartBenchmarks
{
    private IJobSystem? _system;

    /// <summary>5,000 jobs per iteration; 100 in smoke mode.</summary>
    public static IEnumerable<int> Sizes => BenchmarkSettings.Smoke ? [100] : [5_000];

    [ParamsSource(nameof(Sizes))]
    public int Jobs { get; set; }

    [GlobalSetup(Target = nameof(OneInstance))]
    public void WarmUpOneInstance() => WarmUp(1);

    [GlobalSetup(Target = nameof(ThreeInstances))]
    public void WarmUpThreeInstances() => WarmUp(3);

    [IterationSetup(Target = nameof(OneInstance))]
    public void StartOneInstance() => Start(1);

    [IterationSetup(Target = nameof(ThreeInstances))]
    public void StartThreeInstances() => Start(3);

    [IterationCleanup]
    public void Stop()
    {
        // Disposing the system stops its hosts and drops its schema.
        _system?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _system = null;
    }

    [Benchmark(Baseline = true, Description = "JobTracking, PostgreSQL, 1 instance, bulk start")]
    public Task OneInstance() => _system!.RunAsync(Jobs);

    [Benchmark(Description = "JobTracking, PostgreSQL, 3 instances on one schema, bulk start")]
    public Task ThreeInstances() => _system!.RunAsync(Jobs);

    private static JobTrackingPostgreSqlSystem Create(int instances) => new(instances, bulkBatch: CompareReport.BulkBatch);

    private void WarmUp(int instances)
    {
        PostgresBench.Require();
        JobSystems.WarmUpAsync(() => Create(instances), Jobs, BenchmarkSettings.Warmup).GetAwaiter().GetResult();
    }

    private void Start(int instances)
    {
        var system = Create(instances);
        system.StartAsync().GetAwaiter().GetResult();
        _system = system;
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}
