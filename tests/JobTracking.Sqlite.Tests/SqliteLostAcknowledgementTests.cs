namespace JobTracking.Sqlite.Tests;

/// <summary>Answers lost after the SQLite store committed a write: see <see cref="LostAcknowledgementTests"/>.</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteLostAcknowledgementTests : LostAcknowledgementTests
{
    private readonly TempDatabase _database = new();

    protected override ValueTask<IJobStore> CreateStoreAsync(TimeProvider time) =>
        new(SqliteJobStores.Open(_database.ConnectionString, timeProvider: time));

    protected override ValueTask DisposeStoreAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}
