using System.Globalization;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// <c>--memory</c>: the bytes each system keeps per finished job, measured as the growth of the managed heap (after
/// full collections) across a batch of no-op jobs, the system still alive. JobTracking is measured keeping every job
/// (what one stored job costs) and with its default bound on finished jobs (what a long-running host keeps).
/// </summary>
public static class MemoryReport
{
    public static async Task RunAsync(int jobs)
    {
        var systems = new (string Name, Func<IJobSystem> Create)[]
        {
            ("JobTracking, in-memory store keeping every job (MaxFinishedJobsInMemory = null)", () => JobTrackingSystem.Create(configure: o => o.MaxFinishedJobsInMemory = null)),
            ("JobTracking, in-memory store, default bound (10,000 finished jobs)", () => JobTrackingSystem.Create()),
            ("Quartz.NET RAMJobStore", () => new QuartzSystem()),
            ("Hangfire.InMemory (default options)", () => new HangfireSystem()),
        };

        Console.WriteLine($"Managed heap kept per finished no-op job, {jobs:N0} jobs");
        Console.WriteLine();
        Console.WriteLine("| system | bytes kept per finished job |");
        Console.WriteLine("|---|---:|");
        foreach (var (name, create) in systems)
        {
            var system = create();
            await system.StartAsync();
            await system.RunAsync(Math.Min(jobs, 1_000)); // first-use structures and JIT out of the way
            var before = SettledHeap();
            await system.RunAsync(jobs);
            var after = SettledHeap();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {(after - before) / (double)jobs:N0} B |"));
            GC.KeepAlive(system);
            await system.DisposeAsync();
        }
    }

    private static long SettledHeap()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
