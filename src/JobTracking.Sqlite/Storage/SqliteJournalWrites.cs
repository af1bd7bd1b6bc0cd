using JobTracking.Storage;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The writes of jobs' journals: log lines and rejects, numbered per job without gaps.</summary>
internal sealed class SqliteJournalWrites : IDisposable
{
    private readonly SqliteCommand _isClaimed;
    private readonly SqliteCommand _lastLogSequence;
    private readonly SqliteCommand _lastRejectSequence;
    private readonly SqliteCommand _insertLog;
    private readonly SqliteCommand _insertReject;

    public SqliteJournalWrites(SqliteConnection connection)
    {
        Connection = connection;
        _isClaimed = Command("SELECT EXISTS (SELECT 1 FROM jobs WHERE id = @id AND claim_id = @claim)", "@id", "@claim");
        _lastLogSequence = Command("SELECT COALESCE(MAX(seq), 0) FROM job_log WHERE job_id = @id", "@id");
        _lastRejectSequence = Command("SELECT COALESCE(MAX(seq), 0) FROM job_rejects WHERE job_id = @id", "@id");
        _insertLog = Command(
            $"INSERT INTO job_log (job_id, seq, at, level, message) VALUES (@id, @seq, @at, @level, {T("@message")})",
            "@id", "@seq", "@at", "@level", "@message");
        _insertReject = Command(
            $"INSERT INTO job_rejects (job_id, seq, at, record_number, raw_record, reason) VALUES (@id, @seq, @at, @number, {T("@raw")}, {T("@reason")})",
            "@id", "@seq", "@at", "@number", "@raw", "@reason");
    }

    public SqliteConnection Connection { get; }

    /// <summary>
    /// Appends entries in order, numbering each job's log lines and rejects on from the last stored number. An entry whose
    /// claim is no longer its job's current one is left out and takes no number.
    /// </summary>
    /// <returns>How many entries were stored.</returns>
    public int AppendJournal(IReadOnlyList<JobJournalEntry> entries)
    {
        var next = new Dictionary<(Guid, JobJournalKind), long>();
        Dictionary<(Guid, Guid), bool>? current = null;
        Guid lastJob = default;
        byte[]? lastId = null;
        var stored = 0;
        foreach (var entry in entries)
        {
            if (lastId is null || entry.JobId != lastJob)
            {
                lastJob = entry.JobId;
                lastId = SqliteRows.Id(entry.JobId);
            }

            // The claim cannot change while this write runs, so one look per job and claim answers for the whole batch.
            if (entry.ClaimId is { } claim)
            {
                current ??= [];
                if (!current.TryGetValue((entry.JobId, claim), out var isCurrent))
                {
                    _isClaimed.Parameters[0].Value = lastId;
                    _isClaimed.Parameters[1].Value = SqliteRows.Id(claim);
                    current[(entry.JobId, claim)] = isCurrent = (long)_isClaimed.ExecuteScalar()! == 1;
                }

                if (!isCurrent)
                {
                    continue;
                }
            }

            var isReject = entry.Kind == JobJournalKind.Reject;
            if (!next.TryGetValue((entry.JobId, entry.Kind), out var sequence))
            {
                var last = isReject ? _lastRejectSequence : _lastLogSequence;
                last.Parameters[0].Value = lastId;
                sequence = (long)last.ExecuteScalar()!;
            }

            next[(entry.JobId, entry.Kind)] = ++sequence;
            if (isReject)
            {
                var p = _insertReject.Parameters;
                p[0].Value = lastId;
                p[1].Value = sequence;
                p[2].Value = SqliteRows.Ticks(entry.At);
                p[3].Value = entry.RecordNumber;
                p[4].Value = SqliteRows.Text(entry.Text);
                p[5].Value = SqliteRows.Text(entry.Reason ?? string.Empty);
                _insertReject.ExecuteNonQuery();
            }
            else
            {
                var p = _insertLog.Parameters;
                p[0].Value = lastId;
                p[1].Value = sequence;
                p[2].Value = SqliteRows.Ticks(entry.At);
                p[3].Value = (int)entry.Level;
                p[4].Value = SqliteRows.Text(entry.Text);
                _insertLog.ExecuteNonQuery();
            }

            stored++;
        }

        return stored;
    }

    public void Dispose()
    {
        foreach (var command in new[] { _isClaimed, _lastLogSequence, _lastRejectSequence, _insertLog, _insertReject })
        {
            command.Dispose();
        }
    }

    private static string T(string parameter) => SqliteRows.AsText(parameter);

    private SqliteCommand Command(string sql, params string[] parameters) => SqliteRows.Command(Connection, sql, parameters);
}
