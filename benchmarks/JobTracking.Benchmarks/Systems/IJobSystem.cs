namespace JobTracking.Benchmarks.Systems;

/// <summary>One job system under the same workload: start it, put no-op jobs in, wait until they have all run.</summary>
public interface IJobSystem : IAsyncDisposable
{
    /// <summary>Starts the workers.</summary>
    Task StartAsync();

    /// <summary>Enqueues <paramref name="jobs"/> no-op jobs one by one and returns when every one has finished.</summary>
    Task RunAsync(int jobs);
}

/// <summary>Helpers shared by the end-to-end benchmarks.</summary>
public static class JobSystems
{
    /// <summary>Runs batches on fresh systems until <paramref name="duration"/> has passed, so the JIT has settled (tier-1 code, PGO) before measuring.</summary>
    public static async Task WarmUpAsync(Func<IJobSystem> create, int jobsPerRound, TimeSpan duration)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            await using var system = create();
            await system.StartAsync();
            await system.RunAsync(jobsPerRound);
        }
        while (clock.Elapsed < duration);
    }
}
