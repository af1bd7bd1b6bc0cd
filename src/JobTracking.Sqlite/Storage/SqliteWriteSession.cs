using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The writes of the store, run one at a time by <see cref="SqliteWriter"/> inside its open transaction, grouped by what they change.</summary>
/// <remarks>
/// Only the writer's loop calls these, so the prepared commands and the queue counter need no lock, and what one
/// write reads stays true until it has written: a read and the update that depends on it are one atomic step.
/// </remarks>
internal sealed class SqliteWriteSession : IDisposable
{
    public SqliteWriteSession(SqliteConnection connection, TimeProvider timeProvider)
    {
        Connection = connection;
        Jobs = new SqliteJobWrites(connection);
        Claims = new SqliteClaimWrites(connection, timeProvider);
        Journal = new SqliteJournalWrites(connection);
    }

    public SqliteConnection Connection { get; }

    /// <summary>Gets the writes that change one job.</summary>
    public SqliteJobWrites Jobs { get; }

    /// <summary>Gets claims, lease renewal and reclaim.</summary>
    public SqliteClaimWrites Claims { get; }

    /// <summary>Gets the journal writes.</summary>
    public SqliteJournalWrites Journal { get; }

    public void Dispose()
    {
        Jobs.Dispose();
        Claims.Dispose();
        Journal.Dispose();
    }
}
