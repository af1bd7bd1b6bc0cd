using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// Does the cost per job stay flat as the queue grows? Each iteration queues <see cref="BacklogSize"/> no-op jobs with
/// the scheduler stopped (not measured), then measures starting the scheduler and draining the whole backlog until
/// the last job is stored as Completed. The custom columns divide by the backlog: time and bytes per job, jobs per
/// second, and the time per job relative to the smallest backlog (the target: within 1.5x).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
[Config(typeof(BacklogConfig))]
public class BacklogBenchmarks
{
    private JobTrackingSystem? _system;
    private Task? _done;

    [ParamsSource(nameof(Sizes))]
    public int BacklogSize { get; set; }

    /// <summary>1,000 vs 100,000 vs 1,000,000 queued jobs (the in-memory store's default queue capacity); 1,000 and 10,000 in smoke mode.</summary>
    public static IEnumerable<int> Sizes => BenchmarkSettings.Smoke ? [1_000, 10_000] : [1_000, 100_000, 1_000_000];

    [GlobalSetup]
    public void WarmUp() =>
        JobSystems.WarmUpAsync(() => JobTrackingSystem.Create(), 10_000, BenchmarkSettings.Warmup).GetAwaiter().GetResult();

    [IterationSetup]
    public void QueueBacklog()
    {
        var system = JobTrackingSystem.Create();
        _done = system.ArmCompletion(BacklogSize);
        system.EnqueueAsync(BacklogSize).GetAwaiter().GetResult();
        _system = system;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [IterationCleanup]
    public void Stop()
    {
        _system?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _system = null;
    }

    [Benchmark(Baseline = true, Description = "Drain the backlog")]
    public async Task Drain()
    {
        _system!.StartSchedulerOnly();
        await _done!;
        await _system.DrainedAsync();
    }
}

/// <summary>The per-job columns of the backlog benchmark.</summary>
public sealed class BacklogConfig : ManualConfig
{
    public BacklogConfig()
    {
        AddColumn(
            BenchmarkDotNet.Columns.StatisticColumn.Median,
            new PerJobColumn(nameof(BacklogBenchmarks.BacklogSize), PerJobColumn.Kind.TimePerJob),
            new PerJobColumn(nameof(BacklogBenchmarks.BacklogSize), PerJobColumn.Kind.JobsPerSecond),
            new PerJobColumn(nameof(BacklogBenchmarks.BacklogSize), PerJobColumn.Kind.TimeVsSmallest),
            new PerJobColumn(nameof(BacklogBenchmarks.BacklogSize), PerJobColumn.Kind.AllocatedPerJob));
    }
}
