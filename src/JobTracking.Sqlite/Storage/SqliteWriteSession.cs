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
    private readonly SqliteStatement _feedEnd;
    private readonly long _feedRetention;
    private readonly SqliteQueue _queue;
    private int _batches;
    private long _pendingFeedEnd;
    private long _committedFeedEnd;

    public SqliteWriteSession(SqliteConnection connection, TimeProvider timeProvider, long feedRetention)
    {
        Connection = connection;
        _feedRetention = feedRetention;
        // A bounded range of the oldest rows past the retention: a few thousand rows per run, never one long delete.
        _trimFeed = SqliteRows.Command(
            connection,
            "DELETE FROM job_feed WHERE seq < (SELECT MIN(seq) FROM job_feed) + 4096 AND seq <= (SELECT MAX(seq) FROM job_feed) - @keep",
            "@keep");
        _feedEnd = new SqliteStatement(connection, "SELECT MAX(seq) FROM job_feed");
        _committedFeedEnd = _pendingFeedEnd = ReadFeedEnd();
        _queue = new SqliteQueue(connection, timeProvider);
        Jobs = new SqliteJobWrites(connection, timeProvider, _queue);
        Claims = new SqliteClaimWrites(connection, timeProvider, _queue);
        Journal = new SqliteJournalWrites(connection);
        Schedules = new SqliteScheduleWrites(connection);
    }

    public SqliteConnection Connection { get; }

    /// <summary>Gets or sets whether the open transaction may have added to the change feed.</summary>
    public bool FeedTouched { get; set; }

    /// <summary>Gets or sets what to do after a transaction that added to the change feed has committed.</summary>
    public Action? FeedCommitted { get; set; }

    /// <summary>
    /// Gets the sequence number of the newest committed change (0 when none): only this connection writes the file, so
    /// it is known here without a read, and it is set before <see cref="FeedCommitted"/> runs.
    /// </summary>
    public long CommittedFeedEnd => Volatile.Read(ref _committedFeedEnd);

    /// <summary>Called in the open transaction, before it commits, when it may have added to the feed: notes where the feed ends.</summary>
    public void NoteFeedEnd() => _pendingFeedEnd = ReadFeedEnd();

    /// <summary>Called once the transaction has committed: what <see cref="NoteFeedEnd"/> noted is now committed, and the waiters are woken.</summary>
    public void PublishFeedEnd()
    {
        FeedTouched = false;
        if (_pendingFeedEnd > _committedFeedEnd)
        {
            Volatile.Write(ref _committedFeedEnd, _pendingFeedEnd);
        }

        FeedCommitted?.Invoke();
    }

    private long ReadFeedEnd()
    {
        try
        {
            return _feedEnd.Step() && !_feedEnd.IsNull(0) ? _feedEnd.GetInt64(0) : 0;
        }
        finally
        {
            _feedEnd.Reset();
        }
    }

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

    /// <summary>Gets the recurring schedules' writes.</summary>
    public SqliteScheduleWrites Schedules { get; }

    /// <summary>Called after a write was rolled back (to its savepoint, or with its whole transaction): what the writer knows of the queue without reading may no longer be so.</summary>
    public void RolledBack() => _queue.Forget();

    public void Dispose()
    {
        Jobs.Dispose();
        Claims.Dispose();
        Journal.Dispose();
        Schedules.Dispose();
        _queue.Dispose();
        _trimFeed.Dispose();
        _feedEnd.Dispose();
    }
}
