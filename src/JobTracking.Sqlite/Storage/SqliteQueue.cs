using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>
/// The queue's order and its waiting jobs, as the writer keeps them: the last place given in the queue, a time before
/// which no waiting job comes due, and the promotion that gives the jobs that came due their place.
/// </summary>
/// <remarks>
/// <para>A queued job waiting for a run-after time later than the store's now has no place (queue_seq NULL): the queue's
/// index leaves it out and a partial index of its own holds it. Before any job enters the queue (a claim, a create, a move
/// to Queued), the waiting jobs that came due take their places first, in the order of their times, so a due job is
/// claimed after the jobs that were ready before its time and before those that came after.</para>
/// <para>Only the writer's loop uses it, and only this process writes the file, so it needs no lock. The due time is a
/// lower bound, never later than the earliest waiting job's time: every write that makes a job wait lowers it, a rollback
/// forgets it, and it is read again from the index only after a promotion. A write before that time skips the promotion,
/// so writes and claims with many jobs waiting for later cost what they cost with none.</para>
/// </remarks>
internal sealed class SqliteQueue : IDisposable
{
    /// <summary>The run-after time of the waiting job that comes due first, from the waiting jobs' index.</summary>
    private static readonly string EarliestWaiting =
        $"SELECT run_after FROM jobs INDEXED BY ix_jobs_waiting WHERE status = {(int)JobStatus.Queued} AND queue_seq IS NULL AND run_after IS NOT NULL ORDER BY run_after LIMIT 1";

    // The most waiting jobs one promotion gives a place; the rest follow at the next ones, in the order of their times.
    private const int PromotionBatch = 1024;

    private readonly TimeProvider _time;
    private readonly SqliteStatement _promote;
    private readonly SqliteStatement _earliestWaiting;
    private long _lastPlace;
    private long _dueFrom;

    public SqliteQueue(SqliteConnection connection, TimeProvider timeProvider)
    {
        _time = timeProvider;
        using (var last = SqliteRows.Command(connection, "SELECT COALESCE(MAX(queue_seq), 0) FROM jobs"))
        {
            _lastPlace = (long)last.ExecuteScalar()!;
        }

        // In the order of their times (then of their creation), each at the next place: read from the waiting jobs' own
        // index, up to the first that is not due, so the jobs still waiting are never read.
        _promote = new SqliteStatement(
            connection,
            $"WITH due AS (SELECT id, run_after, rowid AS r FROM jobs INDEXED BY ix_jobs_waiting " +
            $"WHERE status = {(int)JobStatus.Queued} AND queue_seq IS NULL AND run_after IS NOT NULL AND run_after <= @now ORDER BY run_after, rowid LIMIT @max), " +
            "numbered AS (SELECT id, row_number() OVER (ORDER BY run_after, r) AS n FROM due) " +
            "UPDATE jobs SET queue_seq = @last + numbered.n FROM numbered WHERE jobs.id = numbered.id",
            "@now", "@max", "@last");
        _earliestWaiting = new SqliteStatement(connection, EarliestWaiting);
        _dueFrom = ReadEarliestWaiting();
    }

    /// <summary>Gets the place the next job to enter the queue takes, without taking it.</summary>
    public long NextPlace => _lastPlace + 1;

    /// <summary>Takes the next place in the queue.</summary>
    public long TakePlace() => ++_lastPlace;

    /// <summary>Notes that a job now waits for <paramref name="runAfter"/> (UTC ticks).</summary>
    public void Waits(long runAfter) => _dueFrom = Math.Min(_dueFrom, runAfter);

    /// <summary>Forgets the due time, after a rollback may have put jobs back to waiting: the next promotion reads the index.</summary>
    public void Forget() => _dueFrom = long.MinValue;

    /// <summary>Gives the waiting jobs that came due by the store's now their place in the queue; reads nothing while none can be due.</summary>
    /// <param name="now">The store's now, when the caller has read it already.</param>
    public void PromoteDue(DateTimeOffset? now = null)
    {
        if (_dueFrom == long.MaxValue)
        {
            return; // nothing waits: not even the clock is read
        }

        var ticks = (now ?? _time.GetUtcNow()).UtcTicks;
        if (ticks < _dueFrom)
        {
            return;
        }

        var p = _promote;
        p.Bind(0, ticks);
        p.Bind(1, PromotionBatch);
        p.Bind(2, _lastPlace);
        var promoted = p.Execute();
        Debug.Assert(promoted is >= 0 and <= PromotionBatch, "A promotion gives at most one batch its places.");
        _lastPlace += promoted;
        _dueFrom = promoted == PromotionBatch ? long.MinValue : ReadEarliestWaiting(); // a full batch: more may be due
    }

    public void Dispose()
    {
        _promote.Dispose();
        _earliestWaiting.Dispose();
    }

    private long ReadEarliestWaiting()
    {
        try
        {
            return _earliestWaiting.Step() && _earliestWaiting.IsInteger(0) ? _earliestWaiting.GetInt64(0) : long.MaxValue;
        }
        finally
        {
            _earliestWaiting.Reset();
        }
    }
}
