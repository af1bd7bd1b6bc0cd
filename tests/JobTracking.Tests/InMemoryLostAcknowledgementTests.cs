namespace JobTracking.Tests;

/// <summary>Answers lost after the in-memory store applied a write: see <see cref="LostAcknowledgementTests"/>.</summary>
public sealed class InMemoryLostAcknowledgementTests : LostAcknowledgementTests
{
    protected override ValueTask<IJobStore> CreateStoreAsync(TimeProvider time) => new(new InMemoryJobStore(time));
}
