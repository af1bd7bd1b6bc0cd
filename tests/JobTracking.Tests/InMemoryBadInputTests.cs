namespace JobTracking.Tests;

/// <summary>The in-memory store against <see cref="StoreBadInputTests"/>.</summary>
public sealed class InMemoryBadInputTests : StoreBadInputTests
{
    protected override ValueTask PrepareStoreAsync() => ValueTask.CompletedTask;

    protected override void UseStore(JobTrackingBuilder builder)
    {
        // The in-memory store is the default.
    }

    protected override ValueTask DisposeStoreAsync() => ValueTask.CompletedTask;
}
