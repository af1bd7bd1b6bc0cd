using BenchmarkDotNet.Attributes;

namespace JobTracking.Benchmarks;

/// <summary>
/// <see cref="WaitingClaimBenchmarks"/> on the in-memory store: waiting jobs sit in a heap of their own, so a claim reads
/// only its top.
/// </summary>
[MemoryDiagnoser]
public class MemoryWaitingClaimBenchmarks : WaitingClaimBenchmarks
{
    protected override IJobStore OpenStore() => new InMemoryJobStore(queueCapacity: 2_000_000, maxFinishedJobs: 10_000);

    protected override void CloseStore()
    {
    }
}
