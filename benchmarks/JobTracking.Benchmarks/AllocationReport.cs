using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// <c>--allocations</c>: which types JobTracking allocates per job end to end, sampled from the runtime's
/// GCAllocationTick events (one about every 100 KB allocated) and scaled to the measured bytes per job.
/// </summary>
public static class AllocationReport
{
    public static async Task RunAsync(int jobs, BenchStore store = BenchStore.InMemory, int callers = 1)
    {
        await JobSystems.WarmUpAsync(() => JobTrackingSystem.Create(store: store, callers: callers), store == BenchStore.InMemory ? 20_000 : 1_000, TimeSpan.FromSeconds(3));
        await using var system = JobTrackingSystem.Create(store: store, callers: callers);
        await system.StartAsync();
        using var sampler = new AllocationSampler();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        sampler.Enabled = true;
        await system.RunAsync(jobs);
        sampler.Enabled = false;
        var perJob = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)jobs;
        var sampled = sampler.BytesByType.Values.Sum();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"JobTracking end to end, {store}, {callers} caller(s): {perJob:N0} B allocated per job over {jobs:N0} jobs (all threads)"));
        Console.WriteLine();
        Console.WriteLine("| type (sampled) | share | ≈ bytes per job |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (type, bytes) in sampler.BytesByType.OrderByDescending(p => p.Value).Take(30))
        {
            var share = bytes / (double)sampled;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| `{type}` | {share:P1} | {share * perJob:N0} |"));
        }
    }

    private sealed class AllocationSampler : EventListener
    {
        private const EventKeywords GcKeyword = (EventKeywords)0x1;

        public ConcurrentDictionary<string, long> BytesByType { get; } = new(StringComparer.Ordinal);

        public volatile bool Enabled;

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (!Enabled || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
            {
                return;
            }

            var type = eventData.Payload![eventData.PayloadNames.IndexOf("TypeName")] as string ?? "?";
            var amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
            var amount = amountIndex >= 0 ? Convert.ToInt64(eventData.Payload[amountIndex], CultureInfo.InvariantCulture) : 100_000;
            BytesByType.AddOrUpdate(type, amount, (_, total) => total + amount);
        }
    }
}
