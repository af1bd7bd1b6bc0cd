using System.Diagnostics;
using System.Globalization;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// <c>--startup</c>: how long the hosted service's start takes with jobs already in the store (its recovery looks for
/// jobs left active and for interrupted ones before the scheduler starts), for a few store sizes.
/// </summary>
public static class StartupReport
{
    public static async Task RunAsync(int largest)
    {
        Console.WriteLine("| queued jobs in the store | host start (recovery + scheduler start) | allocated during start |");
        Console.WriteLine("|---:|---:|---:|");
        foreach (var jobs in new[] { 1_000, 100_000, largest }.Where(n => n <= largest).Distinct())
        {
            await using var system = JobTrackingSystem.Create();
            var done = system.ArmCompletion(jobs);
            await system.EnqueueAsync(jobs);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var bytes = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            await system.StartAsync();
            clock.Stop();
            bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {jobs:N0} | {clock.Elapsed.TotalMilliseconds:N1} ms | {bytes / 1048576.0:N1} MB |"));
            await done;
            await system.DrainedAsync();
        }
    }
}
