using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Tests;

/// <summary>Runs alone: it measures the process's managed heap, which tests running beside it would disturb.</summary>
[CollectionDefinition(nameof(MemoryBoundCollection), DisableParallelization = true)]
public sealed class MemoryBoundCollection;

/// <summary>A host on the default in-memory store stays within a fixed amount of memory however many jobs it runs.</summary>
[Collection(nameof(MemoryBoundCollection))]
public sealed class MemoryBoundTests(ITestOutputHelper output)
{
    /// <summary>Jobs started before the first measurement: past the default bound, so the store is as full as it gets.</summary>
    private const int WarmUpJobs = 2 * InMemoryJobStore.DefaultMaxFinishedJobs;

    /// <summary>Jobs started in each batch; the next batch starts once the batch before it has finished.</summary>
    private const int Batch = 1000;

    [Fact]
    public async Task ManyNoOpJobs_DefaultInMemoryBound_JobCountAndHeapStayFlat()
    {
        const int jobs = 1_000_000; // about 25 s in a Debug build on two cores
        await using var host = await TestHost.Create(configure: b => b.AddJob<NoOpJob>()).StartAsync();
        var runner = host.Runner;
        var launcher = runner.Job<NoOpJob>();
        var clock = Stopwatch.StartNew();
        long warmHeap = 0;
        long maxJobs = 0;
        Guid previousBatchLast = default;
        for (var started = 0; started < jobs;)
        {
            var last = default(Guid);
            for (var i = 0; i < Batch; i++, started++)
            {
                last = await launcher.StartAsync(NoOpParameters.Instance, cancellationToken: TestContext.Current.CancellationToken);
            }

            if (previousBatchLast != default)
            {
                await runner.WaitForCompletionAsync(previousBatchLast, TestContext.Current.CancellationToken);
            }

            previousBatchLast = last;
            if (started == WarmUpJobs)
            {
                warmHeap = FullCollectHeap();
            }

            if (started > WarmUpJobs)
            {
                maxJobs = Math.Max(maxJobs, await CountJobsAsync(host));
            }
        }

        await runner.WaitForCompletionAsync(previousBatchLast, TestContext.Current.CancellationToken);

        // The last job started is not always the last to finish (four workers): wait for every job to be finished.
        await Wait.UntilAsync(
            async () => (await host.Tracker.CountAsync()).Where(c => c.Status is not (JobStatus.Completed or JobStatus.Cancelled or JobStatus.Failed)).Sum(c => c.Count) == 0,
            "every job finished");
        var endHeap = FullCollectHeap();
        output.WriteLine($"{jobs:N0} jobs in {clock.Elapsed.TotalSeconds:0.0} s; heap {warmHeap / 1e6:0.0} MB after {WarmUpJobs:N0} jobs, {endHeap / 1e6:0.0} MB at the end; at most {maxJobs:N0} jobs stored");

        // Finished jobs within the bound, plus at most two batches not yet finished.
        maxJobs.Should().BeLessThanOrEqualTo(InMemoryJobStore.DefaultMaxFinishedJobs + (2 * Batch));
        (await CountJobsAsync(host)).Should().BeLessThanOrEqualTo(InMemoryJobStore.DefaultMaxFinishedJobs);
        // A stored no-op job takes about 300 bytes: unbounded, the jobs after the warm-up would add about 300 MB.
        (endHeap - warmHeap).Should().BeLessThan(16_000_000, "the heap after {0:N0} jobs was {1:N0} bytes", WarmUpJobs, warmHeap);
    }

    private static async Task<long> CountJobsAsync(TestHost host) => (await host.Tracker.CountAsync()).Sum(c => c.Count);

    private static long FullCollectHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

public sealed record NoOpParameters
{
    public static readonly NoOpParameters Instance = new();
}

/// <summary>A job that does nothing: what is left to measure is the engine and the store.</summary>
public sealed class NoOpJob : JobDefinition<NoOpParameters>
{
    public override ValueTask ExecuteAsync(IJobContext<NoOpParameters> context) => ValueTask.CompletedTask;
}
