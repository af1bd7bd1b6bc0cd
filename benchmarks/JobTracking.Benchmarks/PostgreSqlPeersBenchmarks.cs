using BenchmarkDotNet.Attributes;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// Enqueue to finished on PostgreSQL, JobTracking beside the durable peers, all on the server named by
/// <c>JOBTRACKING_POSTGRES</c>: <see cref="Jobs"/> no-op jobs are started through each system's own API from 64
/// concurrent callers, and the benchmark returns when the last has run. JobTracking with one instance is the baseline,
/// so the Ratio column reads "this one takes N times as long per job" (every system handles the same number of jobs per
/// invocation). Each iteration gets a fresh system in a fresh schema, dropped after it; every system first runs batches
/// for <see cref="BenchmarkSettings.Warmup"/>. How each system is set up is written on
/// <see cref="JobTrackingPostgreSqlSystem"/>, <see cref="HangfirePostgreSqlSystem"/> and <see cref="QuartzPostgreSqlSystem"/>.
/// </summary>
/// <remarks>
/// Every system runs <see cref="PostgresBench.Workers"/> workers (JobTracking's MaxConcurrency per instance, Hangfire's
/// WorkerCount, Quartz's thread pool); "3 instances" is three hosts in this process, each with its own store instance
/// on the same schema. The peers take milliseconds per job, so the batch is small: 500 jobs (20 in smoke
/// mode); the console mode <c>--postgres-compare</c> runs larger batches for JobTracking and adds the server's counts.
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(1)]
[Config(typeof(PeersConfig))]
public class PostgreSqlPeersBenchmarks
{
    private IJobSystem? _system;

    [Params(64)]
    public int Callers { get; set; }

    [ParamsSource(nameof(Sizes))]
    public int Jobs { get; set; }

    /// <summary>500 jobs per invocation; 20 in smoke mode.</summary>
    public static IEnumerable<int> Sizes => BenchmarkSettings.Smoke ? [20] : [500];

    [GlobalSetup(Target = nameof(JobTrackingOneInstance))]
    public void WarmUpOneInstance() => WarmUp(() => new JobTrackingPostgreSqlSystem(1, Callers));

    [GlobalSetup(Target = nameof(JobTrackingThreeInstances))]
    public void WarmUpThreeInstances() => WarmUp(() => new JobTrackingPostgreSqlSystem(3, Callers));

    [GlobalSetup(Target = nameof(HangfirePostgreSql))]
    public void WarmUpHangfire() => WarmUp(() => new HangfirePostgreSqlSystem(Callers));

    [GlobalSetup(Target = nameof(QuartzPostgreSql))]
    public void WarmUpQuartz() => WarmUp(() => new QuartzPostgreSqlSystem(Callers));

    [IterationSetup(Target = nameof(JobTrackingOneInstance))]
    public void StartOneInstance() => Start(new JobTrackingPostgreSqlSystem(1, Callers));

    [IterationSetup(Target = nameof(JobTrackingThreeInstances))]
    public void StartThreeInstances() => Start(new JobTrackingPostgreSqlSystem(3, Callers));

    [IterationSetup(Target = nameof(HangfirePostgreSql))]
    public void StartHangfire() => Start(new HangfirePostgreSqlSystem(Callers));

    [IterationSetup(Target = nameof(QuartzPostgreSql))]
    public void StartQuartz() => Start(new QuartzPostgreSqlSystem(Callers));

    [IterationCleanup]
    public void Stop()
    {
        // Disposing a system stops it and drops its schema.
        _system?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _system = null;
    }

    [Benchmark(Baseline = true, Description = "JobTracking, PostgreSQL, 1 instance")]
    public Task JobTrackingOneInstance() => _system!.RunAsync(Jobs);

    [Benchmark(Description = "JobTracking, PostgreSQL, 3 instances on one schema")]
    public Task JobTrackingThreeInstances() => _system!.RunAsync(Jobs);

    [Benchmark(Description = "Hangfire 1.8.25 + Hangfire.PostgreSql 1.21.1, 32 workers")]
    public Task HangfirePostgreSql() => _system!.RunAsync(Jobs);

    [Benchmark(Description = "Quartz.NET 4.7.3 AdoJobStore, PostgreSQL, clustered, 32 threads")]
    public Task QuartzPostgreSql() => _system!.RunAsync(Jobs);

    private void WarmUp(Func<IJobSystem> create)
    {
        PostgresBench.Require();
        JobSystems.WarmUpAsync(create, Jobs, BenchmarkSettings.Warmup).GetAwaiter().GetResult();
    }

    private void Start(IJobSystem system)
    {
        system.StartAsync().GetAwaiter().GetResult();
        _system = system;
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    /// <summary>Per-job columns (the invocation handles <see cref="Jobs"/> jobs) beside the median.</summary>
    private sealed class PeersConfig : BenchmarkDotNet.Configs.ManualConfig
    {
        public PeersConfig()
        {
            AddColumn(
                BenchmarkDotNet.Columns.StatisticColumn.Median,
                new PerJobColumn(nameof(Jobs), PerJobColumn.Kind.TimePerJob),
                new PerJobColumn(nameof(Jobs), PerJobColumn.Kind.JobsPerSecond),
                new PerJobColumn(nameof(Jobs), PerJobColumn.Kind.AllocatedPerJob));
        }
    }
}
