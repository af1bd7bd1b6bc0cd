using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// Enqueue to finished on SQLite, JobTracking beside the durable peers: <see cref="Jobs"/> no-op jobs are started
/// through each system's own API, from one caller or from 64 concurrent callers, and the benchmark returns when the
/// last has run. JobTracking on <c>Synchronous = Full</c> (its default) is the baseline, so the Ratio column reads "this
/// one takes N times as long per job" (every system handles the same number of jobs per invocation). Each iteration
/// gets a fresh system on a fresh file in the same temp folder, deleted after it; every system first runs batches for
/// <see cref="BenchmarkSettings.Warmup"/> (10 s). How each peer is set up, and what it promises about durability, is
/// written on <see cref="HangfireSqliteSystem"/> and <see cref="QuartzSqliteSystem"/>.
/// </summary>
/// <remarks>
/// JobTracking runs with MaxConcurrency = Environment.ProcessorCount (its default), the peers with 10 workers, as in
/// <see cref="EndToEndBenchmarks"/>. The peers take tens of milliseconds per job on SQLite, so the batch is small:
/// 500 jobs (20 in smoke mode); the console mode <c>--sqlite-compare</c> runs larger batches for JobTracking.
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(1)]
[Config(typeof(SqlitePeersConfig))]
public class SqlitePeersBenchmarks
{
    private IJobSystem? _system;

    [Params(1, 64)]
    public int Callers { get; set; }

    [ParamsSource(nameof(Sizes))]
    public int Jobs { get; set; }

    /// <summary>500 jobs per invocation; 20 in smoke mode.</summary>
    public static IEnumerable<int> Sizes => BenchmarkSettings.Smoke ? [20] : [500];

    [GlobalSetup(Target = nameof(JobTrackingFull))]
    public void WarmUpJobTrackingFull() => WarmUp(() => JobTrackingSystem.Create(store: BenchStore.SqliteFull, callers: Callers));

    [GlobalSetup(Target = nameof(JobTrackingNormal))]
    public void WarmUpJobTrackingNormal() => WarmUp(() => JobTrackingSystem.Create(store: BenchStore.SqliteNormal, callers: Callers));

    [GlobalSetup(Target = nameof(HangfireSqlite))]
    public void WarmUpHangfire() => WarmUp(() => new HangfireSqliteSystem(Callers));

    [GlobalSetup(Target = nameof(QuartzSqlite))]
    public void WarmUpQuartz() => WarmUp(() => new QuartzSqliteSystem(Callers));

    [IterationSetup(Target = nameof(JobTrackingFull))]
    public void StartJobTrackingFull() => Start(JobTrackingSystem.Create(store: BenchStore.SqliteFull, callers: Callers));

    [IterationSetup(Target = nameof(JobTrackingNormal))]
    public void StartJobTrackingNormal() => Start(JobTrackingSystem.Create(store: BenchStore.SqliteNormal, callers: Callers));

    [IterationSetup(Target = nameof(HangfireSqlite))]
    public void StartHangfire() => Start(new HangfireSqliteSystem(Callers));

    [IterationSetup(Target = nameof(QuartzSqlite))]
    public void StartQuartz() => Start(new QuartzSqliteSystem(Callers));

    [IterationCleanup]
    public void Stop()
    {
        // Disposing a system stops it and deletes its file.
        _system?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _system = null;
    }

    [Benchmark(Baseline = true, Description = "JobTracking, SQLite, Synchronous = Full (default)")]
    public Task JobTrackingFull() => _system!.RunAsync(Jobs);

    [Benchmark(Description = "JobTracking, SQLite, Synchronous = Normal")]
    public Task JobTrackingNormal() => _system!.RunAsync(Jobs);

    [Benchmark(Description = "Hangfire 1.8.25 + Hangfire.Storage.SQLite 0.4.3, 10 workers")]
    public Task HangfireSqlite() => _system!.RunAsync(Jobs);

    [Benchmark(Description = "Quartz.NET 4.7.3 AdoJobStore, SQLite, 10 threads")]
    public Task QuartzSqlite() => _system!.RunAsync(Jobs);

    private void WarmUp(Func<IJobSystem> create) =>
        JobSystems.WarmUpAsync(create, Jobs, BenchmarkSettings.Warmup).GetAwaiter().GetResult();

    private void Start(IJobSystem system)
    {
        system.StartAsync().GetAwaiter().GetResult();
        _system = system;
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}

/// <summary>Per-job columns (the invocation handles <see cref="SqlitePeersBenchmarks.Jobs"/> jobs) beside the median.</summary>
public sealed class SqlitePeersConfig : ManualConfig
{
    public SqlitePeersConfig()
    {
        AddColumn(
            BenchmarkDotNet.Columns.StatisticColumn.Median,
            new PerJobColumn(nameof(SqlitePeersBenchmarks.Jobs), PerJobColumn.Kind.TimePerJob),
            new PerJobColumn(nameof(SqlitePeersBenchmarks.Jobs), PerJobColumn.Kind.JobsPerSecond),
            new PerJobColumn(nameof(SqlitePeersBenchmarks.Jobs), PerJobColumn.Kind.AllocatedPerJob));
    }
}
