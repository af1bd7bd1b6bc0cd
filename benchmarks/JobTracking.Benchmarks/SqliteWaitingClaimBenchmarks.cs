using BenchmarkDotNet.Attributes;
using JobTracking.Benchmarks.Systems;
using JobTracking.Sqlite;

namespace JobTracking.Benchmarks;

/// <summary>
/// <see cref="WaitingClaimBenchmarks"/> on the SQLite store, in a fresh file in the temp folder; Synchronous = Normal,
/// so the figures are the store's work rather than the disk's flushes.
/// </summary>
[MemoryDiagnoser]
public class SqliteWaitingClaimBenchmarks : WaitingClaimBenchmarks
{
    private TempDatabase _database = null!;
    private SqliteJobStore _sqlite = null!;

    protected override IJobStore OpenStore()
    {
        _database = new TempDatabase("waiting-" + Guid.NewGuid().ToString("N"));
        return _sqlite = SqliteJobStores.Open(_database.ConnectionString, TempDatabase.Options(BenchStore.SqliteNormal));
    }

    protected override void CloseStore()
    {
        _sqlite.Dispose();
        _database.Dispose();
    }
}
