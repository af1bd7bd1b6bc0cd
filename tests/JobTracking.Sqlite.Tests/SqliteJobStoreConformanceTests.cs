using JobTracking.Testing;

namespace JobTracking.Sqlite.Tests;

/// <summary>The SQLite store against the store contract, a fresh file per test.</summary>
public sealed class SqliteJobStoreConformanceTests : JobStoreConformanceTests, IDisposable
{
    private readonly TempDatabase _database = new();

    protected override ValueTask<IJobStore> CreateStoreAsync(TimeProvider clock) => ValueTask.FromResult<IJobStore>(SqliteJobStores.Open(_database.ConnectionString, timeProvider: clock));

    public void Dispose() => _database.Dispose();
}
