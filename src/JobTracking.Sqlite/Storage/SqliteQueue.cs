using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>
/// What the writer knows of the queue without reading the file: the last place given in the queue, and a time before
/// which no job waiting for its run-after time comes due.
/// </summary>
/// <remarks>
/// Only the writer's loop uses it, and only this process writes the file, so it needs no lock. The due time is a lower
/// bound, never later than the earliest waiting job's time: every write that makes a job wait lowers it, and it is read
/// again from the index only after the claim that gave the due jobs their place. A claim before that time skips the
/// promotion, so claims with many jobs waiting for later cost what they cost with none.
/// </remarks>
internal sealed class SqliteQueue
{
    /// <summary>The run-after time of the waiting job that comes due first, from the waiting jobs' index.</summary>
    public static readonly string EarliestWaiting =
        $"SELECT run_after FROM jobs INDEXED BY ix_jobs_waiting WHERE status = {(int)JobStatus.Queued} AND queue_seq IS NULL AND run_after IS NOT NULL ORDER BY run_after LIMIT 1";

    private long _lastPlace;
    private long _dueFrom;

    public SqliteQueue(SqliteConnection connection)
    {
        using var last = SqliteRows.Command(connection, "SELECT COALESCE(MAX(queue_seq), 0) FROM jobs");
        _lastPlace = (long)last.ExecuteScalar()!;
        using var earliest = SqliteRows.Command(connection, EarliestWaiting);
        _dueFrom = earliest.ExecuteScalar() is long ticks ? ticks : long.MaxValue;
    }

    /// <summary>Gets the place the next job to enter the queue takes, without taking it.</summary>
    public long NextPlace => _lastPlace + 1;

    /// <summary>Takes the next place in the queue.</summary>
    public long TakePlace() => ++_lastPlace;

    /// <summary>Notes that <paramref name="count"/> places after the last one were taken in one statement.</summary>
    public void TookPlaces(long count)
    {
        Debug.Assert(count >= 0, "Places are only ever taken.");
        _lastPlace += count;
    }

    /// <summary>Notes that a job now waits for <paramref name="runAfter"/> (UTC ticks).</summary>
    public void Waits(long runAfter) => _dueFrom = Math.Min(_dueFrom, runAfter);

    /// <summary>Tells whether a waiting job may have come due by <paramref name="now"/> (UTC ticks).</summary>
    public bool MayHaveDue(long now) => now >= _dueFrom;

    /// <summary>Sets the earliest waiting time as just read from the index (<see langword="null"/> when none waits).</summary>
    public void DueFrom(long? earliest) => _dueFrom = earliest ?? long.MaxValue;

    /// <summary>Forgets the due time, after a rollback may have put jobs back to waiting: the next claim reads the index.</summary>
    public void Forget() => _dueFrom = long.MinValue;
}
