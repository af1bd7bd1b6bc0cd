using JobTracking.Testing;

namespace JobTracking.Sqlite.Tests;

/// <summary>The SQLite store against the store contract, a fresh file per test.</summary>
public sealed class SqliteJobStoreConformanceTests : JobStoreConformanceTests, IDisposable
{
    private readonly TempDatabase _database = new();

    protected override ValueTask<IJobStore> CreateStoreAsync() => ValueTask.FromResult(SqliteJobStores.Open(_database.ConnectionString));

    public void Dispose() => _database.Dispose();
}
