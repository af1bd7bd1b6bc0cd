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
    public static async Task RunAsync(int jobs, TimeSpan warmup, int rounds)
    {
        var systems = new (string Name, Func<IJobSystem> Create)[]
        {
            ("JobTracking", () => JobTrackingSystem.Create()),
            ("JobTracking, counted by OnJobFinished", () => JobTrackingSystem.Create(countByEvents: true)),
            ("Quartz.NET RAMJobStore, 10 threads", () => new QuartzSystem()),
            ("Hangfire InMemory, 10 workers", () => new HangfireSystem()),
        };

        Console.WriteLine($"{jobs:N0} no-op jobs per round, median of {rounds} rounds after {warmup.TotalSeconds:0} s of warm-up; {Environment.ProcessorCount} processors");
        Console.WriteLine();
        Console.WriteLine("| system | jobs/s | allocated per job | CPU per job | ratio to JobTracking (time) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        double? baseline = null;
        foreach (var (name, create) in systems)
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
                $"| {name} | {jobs / median.Seconds:N0} | {median.Bytes / (double)jobs:N0} B | {median.Cpu / jobs * 1e6:N2} µs | {perJob / baseline.Value:N1}x |"));
        }
    }
}
