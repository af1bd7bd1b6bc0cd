using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// Enqueue to finished, in memory, per job: a batch of no-op jobs is started one by one through each system's own
/// API and the benchmark returns when the last has run. JobTracking is the baseline, so the Ratio column reads as
/// "this peer takes N times as long per job". Each iteration gets a fresh system (the in-memory stores keep finished
/// jobs, and a store that grows across iterations would measure its own growth), and every system first runs
/// batches for <see cref="BenchmarkSettings.Warmup"/> (10 s) so its JIT has settled.
/// </summary>
/// <remarks>
/// JobTracking runs with MaxConcurrency = Environment.ProcessorCount (its default). Quartz.NET and Hangfire run with
/// 10 workers, their documented defaults on a 2-core machine and the reference setup.
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(1)]
[Config(typeof(ThroughputConfig))]
public class EndToEndBenchmarks
{
    /// <summary>Jobs per iteration; the results are per job.</summary>
    public const int Jobs = 50_000;

    private IJobSystem? _system;

    [GlobalSetup(Target = nameof(JobTrackingEngine))]
    public void WarmUpJobTracking() => WarmUp(() => JobTrackingSystem.Create());

    [GlobalSetup(Target = nameof(JobTrackingWithEvents))]
    public void WarmUpJobTrackingWithEvents() => WarmUp(() => JobTrackingSystem.Create(countByEvents: true));

    [GlobalSetup(Target = nameof(QuartzRamJobStore))]
    public void WarmUpQuartz() => WarmUp(() => new QuartzSystem());

    [GlobalSetup(Target = nameof(HangfireInMemory))]
    public void WarmUpHangfire() => WarmUp(() => new HangfireSystem());

    [IterationSetup(Target = nameof(JobTrackingEngine))]
    public void StartJobTracking() => Start(JobTrackingSystem.Create());

    [IterationSetup(Target = nameof(JobTrackingWithEvents))]
    public void StartJobTrackingWithEvents() => Start(JobTrackingSystem.Create(countByEvents: true));

    [IterationSetup(Target = nameof(QuartzRamJobStore))]
    public void StartQuartz() => Start(new QuartzSystem());

    [IterationSetup(Target = nameof(HangfireInMemory))]
    public void StartHangfire() => Start(new HangfireSystem());

    [IterationCleanup]
    public void Stop()
    {
        _system?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _system = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Jobs, Description = "JobTracking (in-memory store)")]
    public Task JobTrackingEngine() => _system!.RunAsync(Jobs);

    [Benchmark(OperationsPerInvoke = Jobs, Description = "JobTracking, counted by OnJobFinished")]
    public Task JobTrackingWithEvents() => _system!.RunAsync(Jobs);

    [Benchmark(OperationsPerInvoke = Jobs, Description = "Quartz.NET 4.7.3 RAMJobStore, 10 threads")]
    public Task QuartzRamJobStore() => _system!.RunAsync(Jobs);

    [Benchmark(OperationsPerInvoke = Jobs, Description = "Hangfire 1.8.25 + InMemory 1.0, 10 workers")]
    public Task HangfireInMemory() => _system!.RunAsync(Jobs);

    private static void WarmUp(Func<IJobSystem> create) =>
        JobSystems.WarmUpAsync(create, Jobs, BenchmarkSettings.Warmup).GetAwaiter().GetResult();

    private void Start(IJobSystem system)
    {
        system.StartAsync().GetAwaiter().GetResult();
        _system = system;
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}

/// <summary>Adds the median and jobs per second (operations per second, an operation being one job).</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddColumn(StatisticColumn.Median, StatisticColumn.OperationsPerSecond);
    }
}
