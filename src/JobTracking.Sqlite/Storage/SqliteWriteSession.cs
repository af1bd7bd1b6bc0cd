using System.Text;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The writes of the store, run one at a time by <see cref="SqliteWriter"/> inside its open transaction.</summary>
/// <remarks>Only the writer's loop calls these, so the prepared commands and the queue counter need no lock.</remarks>
internal sealed class SqliteWriteSession : IDisposable
{
    private const int Queued = (int)JobStatus.Queued;
    private const int Running = (int)JobStatus.Running;

    // Active statuses hold their concurrency key: Running, Pausing, Cancelling, ShuttingDown.
    private const string ActiveStatuses = "(2, 3, 5, 9)";
    private const string FinishedStatuses = "(6, 7, 8)";

    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _transition;
    private readonly SqliteCommand _claimOne;
    private readonly SqliteCommand _checkpoint;
    private readonly SqliteCommand _report;
    private readonly SqliteCommand _draft;
    private readonly SqliteCommand _lastLogSequence;
    private readonly SqliteCommand _lastRejectSequence;
    private readonly SqliteCommand _insertLog;
    private readonly SqliteCommand _insertReject;
    private readonly SqliteCommand _heldKeys;
    private long _queueSequence;

    public SqliteWriteSession(SqliteConnection connection)
    {
        Connection = connection;
        using (var last = Command("SELECT COALESCE(MAX(queue_seq), 0) FROM jobs"))
        {
            _queueSequence = (long)last.ExecuteScalar()!;
        }

        _insert = Command(
            $"INSERT INTO jobs ({SqliteSchema.JobColumns}, queue_seq) VALUES (@id, {T("@type")}, {T("@name")}, @status, @version, {T("@parameters")}, {T("@launchedBy")}, @priority, {T("@key")}, " +
            $"@created, @started, @ended, @attempt, {T("@node")}, @done, @total, {T("@checkpoint")}, {T("@errorType")}, {T("@errorMessage")}, {T("@errorStack")}, " +
            $"@warnings, {T("@steps")}, @queueSeq) " +
            "ON CONFLICT (id) DO NOTHING",
            "@id", "@type", "@name", "@status", "@version", "@parameters", "@launchedBy", "@priority", "@key", "@created", "@started", "@ended", "@attempt",
            "@node", "@done", "@total", "@checkpoint", "@errorType", "@errorMessage", "@errorStack", "@warnings", "@steps", "@queueSeq");

        // The side effects documented on JobTransition, in one compare-and-set on (id, status, version).
        _transition = Command(
            $"""
            UPDATE jobs SET
                status = @to,
                version = version + 1,
                started_at = CASE WHEN @newAttempt THEN NULL WHEN @claim THEN COALESCE(started_at, @at) ELSE started_at END,
                node = CASE WHEN @claim THEN {T("@node")} ELSE node END,
                ended_at = CASE WHEN @to IN (6, 7, 8) THEN @at WHEN @to = 1 THEN NULL ELSE ended_at END,
                error_type = CASE WHEN @newAttempt THEN NULL WHEN @to = 8 THEN {T("@errorType")} ELSE error_type END,
                error_message = CASE WHEN @newAttempt THEN NULL WHEN @to = 8 THEN {T("@errorMessage")} ELSE error_message END,
                error_stack = CASE WHEN @newAttempt THEN NULL WHEN @to = 8 THEN {T("@errorStack")} ELSE error_stack END,
                checkpoint = CASE WHEN @hasCheckpoint THEN {T("@checkpoint")} ELSE checkpoint END,
                attempt = attempt + @newAttempt,
                queue_seq = CASE WHEN @to = 1 THEN @queueSeq ELSE queue_seq END
            WHERE id = @id AND status = @from AND version = @version
            """,
            "@to", "@newAttempt", "@claim", "@at", "@node", "@errorType", "@errorMessage", "@errorStack", "@hasCheckpoint", "@checkpoint", "@queueSeq",
            "@id", "@from", "@version");

        _claimOne = Command(
            $"UPDATE jobs SET status = {Running}, version = version + 1, started_at = COALESCE(started_at, @at), node = {T("@node")} " +
            $"WHERE id = @id AND status = {Queued} RETURNING {SqliteSchema.JobColumns}",
            "@at", "@node", "@id");
        _checkpoint = Command($"UPDATE jobs SET checkpoint = {T("@checkpoint")} WHERE id = @id", "@checkpoint", "@id");
        _report = Command(
            $"UPDATE jobs SET progress_done = @done, progress_total = @total, steps = {T("@steps")}, warning_count = @warnings WHERE id = @id",
            "@done", "@total", "@steps", "@warnings", "@id");
        _draft = Command(
            $"UPDATE jobs SET parameters = {T("@parameters")}, display_name = {T("@name")}, version = version + 1 WHERE id = @id AND status = 0 AND version = @version",
            "@parameters", "@name", "@id", "@version");
        _lastLogSequence = Command("SELECT COALESCE(MAX(seq), 0) FROM job_log WHERE job_id = @id", "@id");
        _lastRejectSequence = Command("SELECT COALESCE(MAX(seq), 0) FROM job_rejects WHERE job_id = @id", "@id");
        _insertLog = Command(
            $"INSERT INTO job_log (job_id, seq, at, level, message) VALUES (@id, @seq, @at, @level, {T("@message")})",
            "@id", "@seq", "@at", "@level", "@message");
        _insertReject = Command(
            $"INSERT INTO job_rejects (job_id, seq, at, record_number, raw_record, reason) VALUES (@id, @seq, @at, @number, {T("@raw")}, {T("@reason")})",
            "@id", "@seq", "@at", "@number", "@raw", "@reason");
        _heldKeys = Command($"SELECT DISTINCT concurrency_key FROM jobs WHERE status IN {ActiveStatuses} AND concurrency_key IS NOT NULL");
    }

    public SqliteConnection Connection { get; }

    public bool Create(JobRecord job)
    {
        var p = _insert.Parameters;
        p[0].Value = SqliteRows.Id(job.Id);
        p[1].Value = SqliteRows.Text(job.TypeName);
        p[2].Value = SqliteRows.Text(job.DisplayName);
        p[3].Value = (int)job.Status;
        p[4].Value = job.Version;
        p[5].Value = SqliteRows.Text(job.Parameters);
        p[6].Value = SqliteRows.Text(job.LaunchedBy);
        p[7].Value = job.Priority;
        p[8].Value = SqliteRows.Text(job.ConcurrencyKey);
        p[9].Value = SqliteRows.Ticks(job.CreatedAt);
        p[10].Value = SqliteRows.Value(job.StartedAt);
        p[11].Value = SqliteRows.Value(job.EndedAt);
        p[12].Value = job.Attempt;
        p[13].Value = SqliteRows.Text(job.Node);
        p[14].Value = job.Progress.Done;
        p[15].Value = SqliteRows.Value(job.Progress.Total);
        p[16].Value = SqliteRows.Text(job.Checkpoint);
        p[17].Value = SqliteRows.Text(job.Error?.Type);
        p[18].Value = SqliteRows.Text(job.Error?.Message);
        p[19].Value = SqliteRows.Text(job.Error?.StackTrace);
        p[20].Value = job.WarningCount;
        p[21].Value = SqliteRows.Text(SqliteRows.WriteSteps(job.Steps));
        p[22].Value = job.Status == JobStatus.Queued ? ++_queueSequence : DBNull.Value;
        return _insert.ExecuteNonQuery() == 1;
    }

    public bool Transition(in JobTransition t)
    {
        var p = _transition.Parameters;
        p[0].Value = (int)t.ToStatus;
        p[1].Value = t.IsNewAttempt ? 1 : 0;
        p[2].Value = t.FromStatus == JobStatus.Queued && t.ToStatus == JobStatus.Running ? 1 : 0;
        p[3].Value = SqliteRows.Ticks(t.At);
        p[4].Value = SqliteRows.Text(t.Node);
        p[5].Value = SqliteRows.Text(t.Error?.Type);
        p[6].Value = SqliteRows.Text(t.Error?.Message);
        p[7].Value = SqliteRows.Text(t.Error?.StackTrace);
        p[8].Value = t.HasCheckpoint ? 1 : 0;
        p[9].Value = SqliteRows.Text(t.Checkpoint);
        p[10].Value = t.ToStatus == JobStatus.Queued ? _queueSequence + 1 : DBNull.Value;
        p[11].Value = SqliteRows.Id(t.JobId);
        p[12].Value = (int)t.FromStatus;
        p[13].Value = t.ExpectedVersion;
        if (_transition.ExecuteNonQuery() != 1)
        {
            return false;
        }

        if (t.ToStatus == JobStatus.Queued)
        {
            _queueSequence++;
        }

        return true;
    }

    /// <summary>Moves queued jobs to Running: highest priority first, then queue order, skipping types at their limit and jobs whose key is held.</summary>
    public List<JobRecord> Claim(JobClaimRequest request)
    {
        var claimedByType = new Dictionary<string, int>(StringComparer.Ordinal);
        var excludedTypes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (type, limit) in request.TypeLimits)
        {
            if (limit <= 0)
            {
                excludedTypes.Add(type);
            }
        }

        var heldKeys = new HashSet<string>(StringComparer.Ordinal);
        using (var reader = _heldKeys.ExecuteReader())
        {
            while (reader.Read())
            {
                heldKeys.Add(reader.GetString(0));
            }
        }

        // Pick first, then move: a scan must not see the rows it changes. When a limit or a key fills up mid-scan
        // and many rows were skipped because of it, the scan starts again with them left out in SQL.
        var picked = new List<Guid>(Math.Min(request.MaxCount, 1024));
        var pickedSet = new HashSet<Guid>();
        var scanAgain = true;
        while (scanAgain && picked.Count < request.MaxCount)
        {
            scanAgain = false;
            using var scan = CandidateScan(excludedTypes, heldKeys);
            using var reader = scan.ExecuteReader();
            var skipped = 0;
            var newExclusion = false;
            while (reader.Read())
            {
                var id = SqliteRows.ReadId(reader, 0);
                var type = reader.GetString(1);
                var key = SqliteRows.NullableText(reader, 2);
                if (pickedSet.Contains(id))
                {
                    continue;
                }

                if (excludedTypes.Contains(type) || (key is not null && heldKeys.Contains(key)))
                {
                    if (++skipped > 64 && newExclusion)
                    {
                        scanAgain = true;
                        break;
                    }

                    continue;
                }

                picked.Add(id);
                pickedSet.Add(id);
                if (key is not null)
                {
                    heldKeys.Add(key);
                    newExclusion = true;
                }

                var count = claimedByType[type] = claimedByType.GetValueOrDefault(type) + 1;
                if (request.TypeLimits.TryGetValue(type, out var limit) && count >= limit)
                {
                    excludedTypes.Add(type);
                    newExclusion = true;
                }

                if (picked.Count == request.MaxCount)
                {
                    break;
                }
            }
        }

        var claimed = new List<JobRecord>(picked.Count);
        var p = _claimOne.Parameters;
        p[0].Value = SqliteRows.Ticks(request.At);
        p[1].Value = SqliteRows.Text(request.Node);
        foreach (var id in picked)
        {
            p[2].Value = SqliteRows.Id(id);
            using var reader = _claimOne.ExecuteReader();
            if (reader.Read())
            {
                claimed.Add(SqliteRows.ReadJob(reader));
            }
        }

        return claimed;
    }

    public void SaveCheckpoint(Guid jobId, string? checkpoint)
    {
        _checkpoint.Parameters[0].Value = SqliteRows.Text(checkpoint);
        _checkpoint.Parameters[1].Value = SqliteRows.Id(jobId);
        _checkpoint.ExecuteNonQuery();
    }

    public void SaveReport(Guid jobId, JobReportUpdate report)
    {
        var p = _report.Parameters;
        p[0].Value = report.Progress.Done;
        p[1].Value = SqliteRows.Value(report.Progress.Total);
        p[2].Value = SqliteRows.Text(SqliteRows.WriteSteps(report.Steps));
        p[3].Value = report.WarningCount;
        p[4].Value = SqliteRows.Id(jobId);
        _report.ExecuteNonQuery();
    }

    public bool UpdateDraft(Guid jobId, long expectedVersion, string parameters, string displayName)
    {
        var p = _draft.Parameters;
        p[0].Value = SqliteRows.Text(parameters);
        p[1].Value = SqliteRows.Text(displayName);
        p[2].Value = SqliteRows.Id(jobId);
        p[3].Value = expectedVersion;
        return _draft.ExecuteNonQuery() == 1;
    }

    /// <summary>Appends entries in order, numbering each job's log lines and rejects on from the last stored number.</summary>
    public void AppendJournal(IReadOnlyList<JobJournalEntry> entries)
    {
        var next = new Dictionary<(Guid, JobJournalKind), long>();
        Guid lastJob = default;
        byte[]? lastId = null;
        foreach (var entry in entries)
        {
            if (lastId is null || entry.JobId != lastJob)
            {
                lastJob = entry.JobId;
                lastId = SqliteRows.Id(entry.JobId);
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
        }
    }

    /// <summary>Deletes finished jobs that ended before the cut-off, with their journals.</summary>
    public int Purge(DateTimeOffset endedBefore)
    {
        const string Old = $"SELECT id FROM jobs WHERE ended_at < @cut AND status IN {FinishedStatuses}";
        using var log = Command($"DELETE FROM job_log WHERE job_id IN ({Old})", "@cut");
        using var rejects = Command($"DELETE FROM job_rejects WHERE job_id IN ({Old})", "@cut");
        using var jobs = Command($"DELETE FROM jobs WHERE ended_at < @cut AND status IN {FinishedStatuses}", "@cut");
        var cut = SqliteRows.Ticks(endedBefore);
        log.Parameters[0].Value = cut;
        rejects.Parameters[0].Value = cut;
        jobs.Parameters[0].Value = cut;
        log.ExecuteNonQuery();
        rejects.ExecuteNonQuery();
        return jobs.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var command in new[] { _insert, _transition, _claimOne, _checkpoint, _report, _draft, _lastLogSequence, _lastRejectSequence, _insertLog, _insertReject, _heldKeys })
        {
            command.Dispose();
        }
    }

    private SqliteCommand CandidateScan(HashSet<string> excludedTypes, HashSet<string> excludedKeys)
    {
        var sql = new StringBuilder($"SELECT id, type_name, concurrency_key FROM jobs INDEXED BY ix_jobs_queue WHERE status = {Queued}");
        var command = Connection.CreateCommand();
        AppendNotIn(sql, command, "type_name", "@t", excludedTypes);
        if (excludedKeys.Count > 0)
        {
            sql.Append(" AND (concurrency_key IS NULL");
            AppendNotIn(sql, command, "concurrency_key", "@k", excludedKeys, joiner: " OR ");
            sql.Append(')');
        }

        sql.Append(" ORDER BY priority DESC, queue_seq");
        command.CommandText = sql.ToString();
        return command;
    }

    // Only parameter names go into the text; the values are bound.
    private static void AppendNotIn(StringBuilder sql, SqliteCommand command, string column, string prefix, HashSet<string> values, string joiner = " AND ")
    {
        if (values.Count == 0)
        {
            return;
        }

        sql.Append(joiner).Append(column).Append(" NOT IN (");
        var i = 0;
        foreach (var value in values)
        {
            var name = prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            sql.Append(i == 0 ? "" : ", ").Append(name);
            command.Parameters.AddWithValue(name, value);
            i++;
        }

        sql.Append(')');
    }

    // Text is bound as UTF-8 bytes cast to TEXT when it holds a NUL character, which Microsoft.Data.Sqlite would cut long text at.
    private static string T(string parameter) => $"CAST({parameter} AS TEXT)";

    private SqliteCommand Command(string sql, params string[] parameters) => SqliteRows.Command(Connection, sql, parameters);
}
