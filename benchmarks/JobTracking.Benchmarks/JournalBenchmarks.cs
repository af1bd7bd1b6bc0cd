using BenchmarkDotNet.Attributes;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// Journal append throughput: one running job writes <see cref="Lines"/> log lines through
/// <c>IJobContext.LogAsync</c>, and the benchmark measures from <c>StartAsync</c> to the job being stored as Completed,
/// which the engine stores only after every line the run wrote is in the store. Results are per line
/// (<c>OperationsPerInvoke</c>), so the Op/s column is log lines per second. Each iteration gets a fresh system and,
/// for SQLite, a fresh file in the temp folder. The baseline is the in-memory store.
/// </summary>
/// <remarks>
/// Lines go into the engine's bounded journal buffer (<c>JournalBufferCapacity</c>, 8,192 by default; the job waits
/// when it is full) and one loop stores them in batches of up to 1,000 with <c>IJobStore.AppendJournalAsync</c>.
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(1)]
[Config(typeof(ThroughputConfig))]
public class JournalBenchmarks
{
    /// <summary>Log lines the job writes per iteration.</summary>
    public const int Lines = 100_000;

    private static readonly LoggingParameters Parameters = new(Lines);

    private JobTrackingSystem? _system;

    [GlobalSetup(Target = nameof(InMemory))]
    public void WarmUpInMemory() => WarmUp(BenchStore.InMemory);

    [GlobalSetup(Target = nameof(SqliteNormal))]
    public void WarmUpSqliteNormal() => WarmUp(BenchStore.SqliteNormal);

    [GlobalSetup(Target = nameof(SqliteFull))]
    public void WarmUpSqliteFull() => WarmUp(BenchStore.SqliteFull);

    [IterationSetup(Target = nameof(InMemory))]
    public void StartInMemory() => Start(BenchStore.InMemory);

    [IterationSetup(Target = nameof(SqliteNormal))]
    public void StartSqliteNormal() => Start(BenchStore.SqliteNormal);

    [IterationSetup(Target = nameof(SqliteFull))]
    public void StartSqliteFull() => Start(BenchStore.SqliteFull);

    [IterationCleanup]
    public void Stop()
    {
        _system?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _system = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Lines, Description = "LogAsync, in-memory store")]
    public Task InMemory() => RunJobAsync(_system!);

    [Benchmark(OperationsPerInvoke = Lines, Description = "LogAsync, SQLite, Synchronous = Normal")]
    public Task SqliteNormal() => RunJobAsync(_system!);

    [Benchmark(OperationsPerInvoke = Lines, Description = "LogAsync, SQLite, Synchronous = Full (default)")]
    public Task SqliteFull() => RunJobAsync(_system!);

    private static async Task RunJobAsync(JobTrackingSystem system)
    {
        var id = await system.Runner.StartAsync(nameof(LoggingJob), Parameters);
        var job = await system.Runner.WaitForCompletionAsync(id);
        if (job.Status != JobStatus.Completed)
        {
            throw new InvalidOperationException($"The logging job ended {job.Status}: {job.Error}");
        }
    }

    // Jobs on fresh systems for the warm-up time, so the journal path is compiled and tiered up before the first measured one.
    private static void WarmUp(BenchStore store) => WarmUpAsync(store).GetAwaiter().GetResult();

    private static async Task WarmUpAsync(BenchStore store)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            await using var system = JobTrackingSystem.Create(store: store);
            await system.StartAsync();
            await RunJobAsync(system);
        }
        while (clock.Elapsed < BenchmarkSettings.Warmup);
    }

    private void Start(BenchStore store)
    {
        var system = JobTrackingSystem.Create(store: store);
        system.StartAsync().GetAwaiter().GetResult();
        _system = system;
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}
