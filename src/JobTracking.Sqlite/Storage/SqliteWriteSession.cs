using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The writes of the store, run one at a time by <see cref="SqliteWriter"/> inside its open transaction, grouped by what they change.</summary>
/// <remarks>
/// Only the writer's loop calls these, so the prepared commands and the queue counter need no lock, and what one
/// write reads stays true until it has written: a read and the update that depends on it are one atomic step.
/// </remarks>
internal sealed class SqliteWriteSession : IDisposable
{
    private readonly SqliteCommand _trimFeed;
    private readonly long _feedRetention;
    private int _batches;

    public SqliteWriteSession(SqliteConnection connection, TimeProvider timeProvider, long feedRetention)
    {
        Connection = connection;
        _feedRetention = feedRetention;
        // A bounded range of the oldest rows past the retention: a few thousand rows per run, never one long delete.
        _trimFeed = SqliteRows.Command(
            connection,
            "DELETE FROM job_feed WHERE seq < (SELECT MIN(seq) FROM job_feed) + 4096 AND seq <= (SELECT seq FROM sqlite_sequence WHERE name = 'job_feed') - @keep",
            "@keep");
        Jobs = new SqliteJobWrites(connection, timeProvider);
        Claims = new SqliteClaimWrites(connection, timeProvider);
        Journal = new SqliteJournalWrites(connection);
    }

    public SqliteConnection Connection { get; }

    /// <summary>Gets or sets whether the open transaction may have added to the change feed.</summary>
    public bool FeedTouched { get; set; }

    /// <summary>Gets or sets what to do after a transaction that added to the change feed has committed.</summary>
    public Action? FeedCommitted { get; set; }

    /// <summary>Marks the open transaction as one that may have added to the change feed, and passes <paramref name="result"/> on.</summary>
    public T Touch<T>(T result)
    {
        FeedTouched = true;
        return result;
    }

    /// <summary>Called once per transaction before it commits: true every 64th transaction that added to the feed.</summary>
    public bool IsTrimDue() => FeedTouched && ++_batches % 64 == 0;

    /// <summary>Deletes a bounded range of the oldest changes beyond the feed's retention.</summary>
    public void TrimFeed()
    {
        _trimFeed.Parameters[0].Value = _feedRetention;
        _trimFeed.ExecuteNonQuery();
    }

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
        _trimFeed.Dispose();
    }
}
