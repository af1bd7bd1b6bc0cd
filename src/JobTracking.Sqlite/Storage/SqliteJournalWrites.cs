using JobTracking.Storage;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The writes of jobs' journals: log lines, rejects and history entries, numbered per job without gaps.</summary>
/// <remarks>
/// One prepared insert per row, bound by index through SQLite's API: no parameter binders, no boxed values, no id
/// arrays. (Through Microsoft.Data.Sqlite, binding was the cost, so rows went in 8-row statements; bound by index a
/// row costs a step and a reset.)
/// </remarks>
internal sealed class SqliteJournalWrites : IDisposable
{
    private readonly SqliteStatement _isClaimed;
    private readonly SqliteStatement _lastLogSequence;
    private readonly SqliteStatement _lastRejectSequence;
    private readonly SqliteStatement _insertLog;
    private readonly SqliteStatement _insertReject;
    private readonly SqliteStatement _lastHistorySequence;
    private readonly SqliteStatement _insertHistory;

    // A call's working state, kept from one call to the next (only the writer's loop appends).
    private readonly Dictionary<(Guid, JobJournalKind), long> _next = [];
    private readonly Dictionary<(Guid, Guid), bool> _current = [];

    public SqliteJournalWrites(SqliteConnection connection)
    {
        Connection = connection;
        _isClaimed = new SqliteStatement(connection, "SELECT EXISTS (SELECT 1 FROM jobs WHERE id = @id AND claim_id = @claim)", "@id", "@claim");
        _lastLogSequence = new SqliteStatement(connection, "SELECT COALESCE(MAX(seq), 0) FROM job_log WHERE job_id = @id", "@id");
        _lastRejectSequence = new SqliteStatement(connection, "SELECT COALESCE(MAX(seq), 0) FROM job_rejects WHERE job_id = @id", "@id");
        _insertLog = new SqliteStatement(
            connection,
            $"INSERT INTO job_log (job_id, seq, at, level, message) VALUES (@id, @seq, @at, @level, {SqliteRows.AsText("@message")})",
            "@id", "@seq", "@at", "@level", "@message");
        _insertReject = new SqliteStatement(
            connection,
            $"INSERT INTO job_rejects (job_id, seq, at, record_number, raw_record, reason) VALUES (@id, @seq, @at, @record, {SqliteRows.AsText("@raw")}, {SqliteRows.AsText("@reason")})",
            "@id", "@seq", "@at", "@record", "@raw", "@reason");
        _lastHistorySequence = new SqliteStatement(connection, "SELECT COALESCE(MAX(seq), 0) FROM job_history WHERE job_id = @id", "@id");
        _insertHistory = new SqliteStatement(
            connection,
            $"INSERT INTO job_history (job_id, seq, at, details) VALUES (@id, @seq, @at, {SqliteRows.AsText("@details")})",
            "@id", "@seq", "@at", "@details");
    }

    public SqliteConnection Connection { get; }

    /// <summary>
    /// Appends entries in order, numbering each job's log lines and rejects on from the last stored number. An entry whose
    /// claim is no longer its job's current one is left out and takes no number.
    /// </summary>
    /// <returns>How many entries were stored.</returns>
    public int AppendJournal(IReadOnlyList<JobJournalEntry> entries)
    {
        _next.Clear();
        _current.Clear();
        var stored = 0;
        for (var i = 0; i < entries.Count; i++) // by index: a foreach over the interface boxes an enumerator
        {
            var entry = entries[i];

            // The claim cannot change while this write runs, so one look per job and claim answers for the whole batch.
            if (entry.ClaimId is { } claim)
            {
                if (!_current.TryGetValue((entry.JobId, claim), out var isCurrent))
                {
                    _isClaimed.Bind(0, entry.JobId);
                    _isClaimed.Bind(1, claim);
                    _current[(entry.JobId, claim)] = isCurrent = Scalar(_isClaimed) == 1;
                }

                if (!isCurrent)
                {
                    continue;
                }
            }

            var (last, insert) = entry.Kind switch
            {
                JobJournalKind.Reject => (_lastRejectSequence, _insertReject),
                JobJournalKind.History => (_lastHistorySequence, _insertHistory),
                _ => (_lastLogSequence, _insertLog),
            };
            if (!_next.TryGetValue((entry.JobId, entry.Kind), out var sequence))
            {
                last.Bind(0, entry.JobId);
                sequence = Scalar(last);
            }

            _next[(entry.JobId, entry.Kind)] = ++sequence;
            insert.Bind(0, entry.JobId);
            insert.Bind(1, sequence);
            insert.Bind(2, entry.At);
            switch (entry.Kind)
            {
                case JobJournalKind.Reject:
                    insert.Bind(3, entry.RecordNumber);
                    insert.Bind(4, entry.Text);
                    insert.Bind(5, entry.Reason ?? string.Empty);
                    break;
                case JobJournalKind.History:
                    insert.Bind(3, entry.Text);
                    break;
                default:
                    insert.Bind(3, (long)entry.Level);
                    insert.Bind(4, entry.Text);
                    break;
            }

            insert.Execute();
            stored++;
        }

        return stored;
    }

    public void Dispose()
    {
        foreach (var statement in new[] { _isClaimed, _lastLogSequence, _lastRejectSequence, _insertLog, _insertReject, _lastHistorySequence, _insertHistory })
        {
            statement.Dispose();
        }
    }

    private static long Scalar(SqliteStatement statement)
    {
        try
        {
            return statement.Step() ? statement.GetInt64(0) : 0;
        }
        finally
        {
            statement.Reset();
        }
    }
}
