using Microsoft.Data.Sqlite;
using Quartz;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// Quartz.NET 4.7.3 with its ADO.NET job store (AdoJobStore) on a SQLite file through Microsoft.Data.Sqlite, set up
/// as Quartz's job-store documentation shows: <c>UsePersistentStore(s => s.UseSqlite(connectionString))</c> (the
/// "SQLite-Microsoft" provider, the SQLite driver delegate and Quartz's SQLite lock handler, which serializes the
/// store's transactions in the process), the System.Text.Json serializer (the 4.x default), no clustering, and the
/// schema created beforehand from Quartz's SQLite tables script (<c>QuartzSqliteSchema.sql</c>), which the store
/// checks when it starts. Quartz sets no PRAGMA, so the file keeps SQLite's defaults: a rollback journal
/// (<c>journal_mode = DELETE</c>) and <c>synchronous = FULL</c>, every commit flushed. The thread pool and the jobs
/// are those of <see cref="QuartzSystem"/>: 10 threads, one-off jobs (a job detail and a trigger that starts now).
/// </summary>
public sealed class QuartzSqliteSystem(int callers = 1, int maxConcurrency = 10) : QuartzSystemBase(maxConcurrency, callers)
{
    private static readonly Lazy<string[]> Schema = new(() => ReadScript("JobTracking.Benchmarks.QuartzSqliteSchema.sql"));

    private readonly TempDatabase _database = new("quartz-" + Guid.NewGuid().ToString("N"));

    /// <summary>Gets the connection string of the system's file (Microsoft.Data.Sqlite's defaults otherwise).</summary>
    public string ConnectionString => _database.ConnectionString;

    /// <summary>Creates Quartz's tables in the file, as a person would run the tables script before the first start.</summary>
    public static void CreateSchema(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var transaction = connection.BeginTransaction();
        foreach (var statement in Schema.Value)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = statement;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    protected override void UseStore(IQuartzBuilder quartz) => quartz.UsePersistentStore(s => s.UseSqlite(ConnectionString));

    protected override Task PrepareAsync()
    {
        CreateSchema(ConnectionString);
        return Task.CompletedTask;
    }

    protected override ValueTask CleanUpAsync()
    {
        // Pooled connections keep the file open; close them so it can be deleted.
        SqliteConnection.ClearAllPools();
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}
