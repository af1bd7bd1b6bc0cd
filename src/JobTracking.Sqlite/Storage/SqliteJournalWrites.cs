using JobTracking.Storage;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The writes of jobs' journals: log lines and rejects, numbered per job without gaps.</summary>
internal sealed class SqliteJournalWrites : IDisposable
{
    private readonly SqliteCommand _isClaimed;
    private readonly SqliteCommand _lastLogSequence;
    private readonly SqliteCommand _lastRejectSequence;
    private readonly SqliteBatchedInsert _insertLog;
    private readonly SqliteBatchedInsert _insertReject;

    public SqliteJournalWrites(SqliteConnection connection)
    {
        Connection = connection;
        _isClaimed = Command("SELECT EXISTS (SELECT 1 FROM jobs WHERE id = @id AND claim_id = @claim)", "@id", "@claim");
        _lastLogSequence = Command("SELECT COALESCE(MAX(seq), 0) FROM job_log WHERE job_id = @id", "@id");
        _lastRejectSequence = Command("SELECT COALESCE(MAX(seq), 0) FROM job_rejects WHERE job_id = @id", "@id");
        _insertLog = new SqliteBatchedInsert(connection, "job_log", ["job_id", "seq", "at", "level", "message"], 4);
        _insertReject = new SqliteBatchedInsert(connection, "job_rejects", ["job_id", "seq", "at", "record_number", "raw_record", "reason"], 4, 5);
    }

    public SqliteConnection Connection { get; }

    /// <summary>
    /// Appends entries in order, numbering each job's log lines and rejects on from the last stored number. An entry whose
    /// claim is no longer its job's current one is left out and takes no number.
    /// </summary>
    /// <returns>How many entries were stored.</returns>
    public int AppendJournal(IReadOnlyList<JobJournalEntry> entries)
    {
        _insertLog.Reset(); // rows a failed call left behind
        _insertReject.Reset();
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
                _insertReject.Add(lastId, sequence, SqliteRows.Ticks(entry.At), entry.RecordNumber, SqliteRows.Text(entry.Text), SqliteRows.Text(entry.Reason ?? string.Empty));
            }
            else
            {
                _insertLog.Add(lastId, sequence, SqliteRows.Ticks(entry.At), (int)entry.Level, SqliteRows.Text(entry.Text));
            }

            stored++;
        }

        _insertLog.Flush();
        _insertReject.Flush();
        return stored;
    }

    public void Dispose()
    {
        foreach (var command in new[] { _isClaimed, _lastLogSequence, _lastRejectSequence })
        {
            command.Dispose();
        }

        _insertLog.Dispose();
        _insertReject.Dispose();
    }

    private SqliteCommand Command(string sql, params string[] parameters) => SqliteRows.Command(Connection, sql, parameters);
}
