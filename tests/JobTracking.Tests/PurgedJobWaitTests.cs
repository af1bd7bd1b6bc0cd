namespace JobTracking.Tests;

/// <summary>Waiting for a job the in-memory store has purged says it may have been purged, and how to wait for many jobs.</summary>
public sealed class PurgedJobWaitTests
{
    [Fact]
    public async Task WaitForCompletionAsync_JobPurgedByTheInMemoryBound_SaysItMayHaveBeenPurged()
    {
        await using var host = await TestHost.Create(o => o.MaxFinishedJobsInMemory = 1, configure: b => b.AddJob<NoOpJob>()).StartAsync();
        var launcher = host.Runner.Job<NoOpJob>();
        var first = await launcher.StartAsync(NoOpParameters.Instance, cancellationToken: TestContext.Current.CancellationToken);
        await host.Runner.WaitForCompletionAsync(first, TestContext.Current.CancellationToken);
        var second = await launcher.StartAsync(NoOpParameters.Instance, cancellationToken: TestContext.Current.CancellationToken);
        await host.Runner.WaitForCompletionAsync(second, TestContext.Current.CancellationToken);
        await Wait.UntilAsync(async () => await host.Store.GetAsync(first) is null, "the first job is purged once the second finishes");

        var error = await Assert.ThrowsAsync<JobNotFoundException>(() => host.Runner.WaitForCompletionAsync(first, TestContext.Current.CancellationToken));

        Assert.Equal(first, error.JobId);
        Assert.Contains($"Job '{first}' was not found", error.Message, StringComparison.Ordinal);
        Assert.Contains("purged", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxFinishedJobsInMemory", error.Message, StringComparison.Ordinal);
        Assert.Contains("RetentionPeriod", error.Message, StringComparison.Ordinal);
        Assert.Contains("OnJobFinished", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_OnAnUnknownId_StillSayOnlyThatItWasNotFound()
    {
        await using var host = await TestHost.Create(configure: b => b.AddJob<NoOpJob>()).StartAsync();
        var missing = Guid.NewGuid();

        var error = await Assert.ThrowsAsync<JobNotFoundException>(async () => await host.Runner.PauseAsync(missing, TestContext.Current.CancellationToken));

        Assert.Equal($"Job '{missing}' was not found.", error.Message);
    }
}
