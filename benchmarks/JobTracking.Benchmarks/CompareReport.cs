using System.Diagnostics;
using System.Globalization;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// <c>--compare</c>: the end-to-end workload on every system, one after the other in one process, with what
/// BenchmarkDotNet does not show: CPU time per job (all threads), next to throughput and bytes allocated per job.
/// </summary>
public static class CompareReport
{
    public static Task RunAsync(int jobs, TimeSpan warmup, int rounds) => RunAsync(
        [
            ("JobTracking", () => JobTrackingSystem.Create(), jobs),
            ("JobTracking, counted by OnJobFinished", () => JobTrackingSystem.Create(countByEvents: true), jobs),
            ("Quartz.NET RAMJobStore, 10 threads", () => new QuartzSystem(), jobs),
            ("Hangfire InMemory, 10 workers", () => new HangfireSystem(), jobs),
        ],
        warmup,
        rounds);

    /// <summary>
    /// <c>--sqlite</c>: the same on JobTracking's SQLite store (a fresh temp file per round) beside the in-memory
    /// store, with one caller and with 64 concurrent callers; <paramref name="jobs"/> per round on SQLite with
    /// Synchronous = Normal, a fifth of it with Full (each start waits for a disk flush there), 5x in memory.
    /// </summary>
    public static Task RunSqliteAsync(int jobs, TimeSpan warmup, int rounds)
    {
        var systems = new List<(string, Func<IJobSystem>, int)>();
        foreach (var callers in new[] { 1, 64 })
        {
            var who = callers == 1 ? "1 caller" : $"{callers} callers";
            systems.Add(($"JobTracking, in-memory store, {who}", () => JobTrackingSystem.Create(callers: callers), jobs * 5));
            systems.Add(($"JobTracking, SQLite Normal, {who}", () => JobTrackingSystem.Create(store: BenchStore.SqliteNormal, callers: callers), jobs));
            systems.Add(($"JobTracking, SQLite Full, {who}", () => JobTrackingSystem.Create(store: BenchStore.SqliteFull, callers: callers), Math.Max(1, jobs / 5)));
        }

        return RunAsync(systems, warmup, rounds);
    }

    private static async Task RunAsync(IReadOnlyList<(string Name, Func<IJobSystem> Create, int Jobs)> systems, TimeSpan warmup, int rounds)
    {
        Console.WriteLine($"No-op jobs, median of {rounds} rounds after {warmup.TotalSeconds:0} s of warm-up per system; {Environment.ProcessorCount} processors");
        Console.WriteLine();
        Console.WriteLine("| system | jobs per round | jobs/s | allocated per job | CPU per job | ratio to the first (time) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        double? baseline = null;
        foreach (var (name, create, jobs) in systems)
        {
            await JobSystems.WarmUpAsync(create, jobs, warmup);
            var samples = new List<(double Seconds, double Cpu, long Bytes)>();
            for (var i = 0; i < rounds; i++)
            {
                await using var system = create();
                await system.StartAsync();
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var process = Process.GetCurrentProcess();
                var cpu0 = process.TotalProcessorTime;
                var bytes0 = GC.GetTotalAllocatedBytes(precise: true);
                var clock = Stopwatch.StartNew();
                await system.RunAsync(jobs);
                clock.Stop();
                var bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes0;
                process.Refresh();
                var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
                samples.Add((clock.Elapsed.TotalSeconds, cpu, bytes));
            }

            var median = samples.OrderBy(s => s.Seconds).ElementAt(samples.Count / 2);
            var perJob = median.Seconds / jobs;
            baseline ??= perJob;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {jobs:N0} | {jobs / median.Seconds:N0} | {median.Bytes / (double)jobs:N0} B | {median.Cpu / jobs * 1e6:N2} µs | {perJob / baseline.Value:N1}x |"));
        }
    }
}
