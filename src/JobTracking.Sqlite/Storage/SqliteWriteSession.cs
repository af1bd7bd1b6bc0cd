using System.Globalization;
using System.Text;
using JobTracking.Storage;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The writes of the store, run one at a time by <see cref="SqliteWriter"/> inside its open transaction.</summary>
/// <remarks>
/// Only the writer's loop calls these, so the prepared commands and the queue counter need no lock, and what one
/// write reads stays true until it has written: a read and the update that depends on it are one atomic step.
/// </remarks>
internal sealed class SqliteWriteSession : IDisposable
{
    private const int Queued = (int)JobStatus.Queued;
    private const int Running = (int)JobStatus.Running;

    // Rows one statement names by parameters; far below SQLite's limit of 32,766 parameters.
    private const int ChunkSize = 500;

    private readonly TimeProvider _time;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _transition;
    private readonly SqliteCommand _storedReport;
    private readonly SqliteCommand _claimOne;
    private readonly SqliteCommand _progress;
    private readonly SqliteCommand _draft;
    private readonly SqliteCommand _isClaimed;
    private readonly SqliteCommand _lastLogSequence;
    private readonly SqliteCommand _lastRejectSequence;
    private readonly SqliteCommand _insertLog;
    private readonly SqliteCommand _insertReject;
    private readonly SqliteCommand _heldKeys;
    private readonly SqliteCommand _orphans;
    private readonly SqliteCommand _purgeJobs;
    private long _queueSequence;

    public SqliteWriteSession(SqliteConnection connection, TimeProvider timeProvider)
    {
        Connection = connection;
        _time = timeProvider;
        using (var last = Command("SELECT COALESCE(MAX(queue_seq), 0) FROM jobs"))
        {
            _queueSequence = (long)last.ExecuteScalar()!;
        }

        _insert = Command(
            $"INSERT INTO jobs ({SqliteSchema.JobColumns}, queue_seq) VALUES (@id, {T("@type")}, {T("@name")}, @status, @version, {T("@parameters")}, {T("@launchedBy")}, @priority, {T("@key")}, " +
            $"@created, @started, @ended, @attempt, {T("@node")}, @done, @total, {T("@checkpoint")}, {T("@errorType")}, {T("@errorMessage")}, {T("@errorStack")}, " +
            $"@warnings, {T("@steps")}, NULL, NULL, NULL, {T("@checkpointReport")}, @queueSeq) " +
            "ON CONFLICT (id) DO NOTHING",
            "@id", "@type", "@name", "@status", "@version", "@parameters", "@launchedBy", "@priority", "@key", "@created", "@started", "@ended", "@attempt",
            "@node", "@done", "@total", "@checkpoint", "@errorType", "@errorMessage", "@errorStack", "@warnings", "@steps", "@checkpointReport", "@queueSeq");

        // The side effects documented on JobTransition, in one compare-and-set on (id, status, version[, claim]).
        _transition = Command(
            $"""
            UPDATE jobs SET
                status = @to,
                version = version + 1,
                started_at = CASE WHEN @newAttempt THEN NULL WHEN @start THEN COALESCE(started_at, @at) ELSE started_at END,
                node = CASE WHEN @start THEN {T("@node")} ELSE node END,
                ended_at = CASE WHEN @ends THEN @at WHEN @requeue THEN NULL ELSE ended_at END,
                error_type = CASE WHEN @newAttempt THEN NULL WHEN @fails THEN {T("@errorType")} ELSE error_type END,
                error_message = CASE WHEN @newAttempt THEN NULL WHEN @fails THEN {T("@errorMessage")} ELSE error_message END,
                error_stack = CASE WHEN @newAttempt THEN NULL WHEN @fails THEN {T("@errorStack")} ELSE error_stack END,
                progress_done = CASE WHEN @hasReport THEN @done ELSE progress_done END,
                progress_total = CASE WHEN @hasReport THEN @total ELSE progress_total END,
                warning_count = CASE WHEN @hasReport THEN @warnings ELSE warning_count END,
                steps = CASE WHEN @hasReport THEN {T("@steps")} ELSE steps END,
                checkpoint = CASE WHEN @hasCheckpoint THEN {T("@checkpoint")} ELSE checkpoint END,
                checkpoint_report = CASE WHEN @hasCheckpoint THEN {T("@checkpointReport")} ELSE checkpoint_report END,
                attempt = attempt + @newAttempt,
                queue_seq = CASE WHEN @requeue THEN @queueSeq ELSE queue_seq END,
                instance_id = CASE WHEN @staysActive THEN instance_id END,
                claim_id = CASE WHEN @staysActive THEN claim_id END,
                lease_until = CASE WHEN @staysActive THEN lease_until END
            WHERE id = @id AND status = @from AND version = @version AND (@fence IS NULL OR claim_id = @fence)
            """,
            "@to", "@newAttempt", "@start", "@at", "@node", "@ends", "@requeue", "@fails", "@errorType", "@errorMessage", "@errorStack",
            "@hasReport", "@done", "@total", "@warnings", "@steps", "@hasCheckpoint", "@checkpoint", "@checkpointReport", "@queueSeq", "@staysActive",
            "@id", "@from", "@version", "@fence");
        _storedReport = Command("SELECT progress_done, progress_total, warning_count, steps FROM jobs WHERE id = @id", "@id");

        _claimOne = Command(
            $"UPDATE jobs SET status = {Running}, version = version + 1, started_at = COALESCE(started_at, @at), node = {T("@node")}, " +
            $"instance_id = {T("@instance")}, claim_id = @claim, lease_until = @leaseUntil " +
            $"WHERE id = @id AND status = {Queued} RETURNING {SqliteSchema.JobColumns}",
            "@at", "@node", "@instance", "@leaseUntil", "@claim", "@id");
        _progress = Command(
            $"""
            UPDATE jobs SET
                progress_done = @done,
                progress_total = @total,
                warning_count = @warnings,
                steps = {T("@steps")},
                checkpoint = CASE WHEN @hasCheckpoint THEN {T("@checkpoint")} ELSE checkpoint END,
                checkpoint_report = CASE WHEN @hasCheckpoint THEN {T("@checkpointReport")} ELSE checkpoint_report END
            WHERE id = @id AND status IN {SqliteStatuses.Active} AND (@fence IS NULL OR claim_id = @fence)
            """,
            "@done", "@total", "@warnings", "@steps", "@hasCheckpoint", "@checkpoint", "@checkpointReport", "@id", "@fence");
        _draft = Command(
            $"UPDATE jobs SET parameters = {T("@parameters")}, display_name = {T("@name")}, version = version + 1 WHERE id = @id AND status = {(int)JobStatus.Editing} AND version = @version",
            "@parameters", "@name", "@id", "@version");
        _isClaimed = Command("SELECT EXISTS (SELECT 1 FROM jobs WHERE id = @id AND claim_id = @claim)", "@id", "@claim");
        _lastLogSequence = Command("SELECT COALESCE(MAX(seq), 0) FROM job_log WHERE job_id = @id", "@id");
        _lastRejectSequence = Command("SELECT COALESCE(MAX(seq), 0) FROM job_rejects WHERE job_id = @id", "@id");
        _insertLog = Command(
            $"INSERT INTO job_log (job_id, seq, at, level, message) VALUES (@id, @seq, @at, @level, {T("@message")})",
            "@id", "@seq", "@at", "@level", "@message");
        _insertReject = Command(
            $"INSERT INTO job_rejects (job_id, seq, at, record_number, raw_record, reason) VALUES (@id, @seq, @at, @number, {T("@raw")}, {T("@reason")})",
            "@id", "@seq", "@at", "@number", "@raw", "@reason");
        _heldKeys = Command($"SELECT DISTINCT concurrency_key FROM jobs WHERE status IN {SqliteStatuses.Active} AND concurrency_key IS NOT NULL");

        // An active job whose owner is gone: its lease ended (or it never had one, as jobs from a version 1 file), or,
        // when every other instance is known to be gone, any job that is not the caller's.
        _orphans = Command(
            $"SELECT id, status, instance_id FROM jobs WHERE status IN {SqliteStatuses.Active} " +
            $"AND (lease_until IS NULL OR lease_until <= @now OR (@includeLive AND (instance_id IS NULL OR instance_id <> {T("@instance")}))) LIMIT @max",
            "@now", "@includeLive", "@instance", "@max");
        _purgeJobs = Command(
            $"DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE ended_at < @cut AND status IN {SqliteStatuses.Finished} ORDER BY ended_at LIMIT @max) RETURNING id",
            "@cut", "@max");
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
        p[22].Value = SqliteRows.Text(SqliteRows.WriteReport(job.CheckpointReport));
        p[23].Value = job.Status == JobStatus.Queued ? ++_queueSequence : DBNull.Value;
        return _insert.ExecuteNonQuery() == 1;
    }

    public bool Transition(in JobTransition t)
    {
        var p = _transition.Parameters;
        var report = t.Report;
        p[0].Value = (int)t.ToStatus;
        p[1].Value = t.IsNewAttempt ? 1 : 0;
        p[2].Value = t.FromStatus == JobStatus.Queued && t.ToStatus == JobStatus.Running ? 1 : 0;
        p[3].Value = SqliteRows.Ticks(t.At);
        p[4].Value = SqliteRows.Text(t.Node);
        p[5].Value = JobLifecycle.IsFinished(t.ToStatus) ? 1 : 0;
        p[6].Value = t.ToStatus == JobStatus.Queued ? 1 : 0;
        p[7].Value = t.ToStatus == JobStatus.Failed ? 1 : 0;
        p[8].Value = SqliteRows.Text(t.Error?.Type);
        p[9].Value = SqliteRows.Text(t.Error?.Message);
        p[10].Value = SqliteRows.Text(t.Error?.StackTrace);
        p[11].Value = report is null ? 0 : 1;
        p[12].Value = report?.Progress.Done ?? 0;
        p[13].Value = SqliteRows.Value(report?.Progress.Total);
        p[14].Value = report?.WarningCount ?? 0;
        p[15].Value = SqliteRows.Text(report is null ? null : SqliteRows.WriteSteps(report.Steps));
        p[16].Value = t.HasCheckpoint ? 1 : 0;
        p[17].Value = SqliteRows.Text(t.Checkpoint);
        p[18].Value = t.HasCheckpoint ? SqliteRows.Text(SqliteRows.WriteReport(report ?? StoredReport(t.JobId))) : DBNull.Value;
        p[19].Value = t.ToStatus == JobStatus.Queued ? _queueSequence + 1 : DBNull.Value;
        p[20].Value = JobLifecycle.IsActive(t.ToStatus) ? 1 : 0;
        p[21].Value = SqliteRows.Id(t.JobId);
        p[22].Value = (int)t.FromStatus;
        p[23].Value = t.ExpectedVersion;
        p[24].Value = SqliteRows.Id(t.ClaimId);
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
        p[2].Value = SqliteRows.Text(request.InstanceId);
        p[3].Value = SqliteRows.Ticks(_time.GetUtcNow() + request.LeaseDuration);
        foreach (var id in picked)
        {
            p[4].Value = SqliteRows.Id(Guid.NewGuid());
            p[5].Value = SqliteRows.Id(id);
            using var reader = _claimOne.ExecuteReader();
            if (reader.Read())
            {
                claimed.Add(SqliteRows.ReadJob(reader));
            }
        }

        return claimed;
    }

    /// <summary>Stores a run's report, and its checkpoint with the report that goes with it, while the job is active and (when given) the claim is current.</summary>
    public bool SaveProgress(JobProgressUpdate update)
    {
        var p = _progress.Parameters;
        var report = update.Report;
        p[0].Value = report.Progress.Done;
        p[1].Value = SqliteRows.Value(report.Progress.Total);
        p[2].Value = report.WarningCount;
        p[3].Value = SqliteRows.Text(SqliteRows.WriteSteps(report.Steps));
        p[4].Value = update.HasCheckpoint ? 1 : 0;
        p[5].Value = SqliteRows.Text(update.Checkpoint);
        p[6].Value = update.HasCheckpoint ? SqliteRows.Text(SqliteRows.WriteReport(report)) : DBNull.Value;
        p[7].Value = SqliteRows.Id(update.JobId);
        p[8].Value = SqliteRows.Id(update.ClaimId);
        return _progress.ExecuteNonQuery() == 1;
    }

    /// <summary>Sets the lease of every listed claim that is still its job's current one, in one statement per chunk of claims.</summary>
    public List<Guid> RenewLeases(JobLeaseRenewal renewal)
    {
        var renewed = new List<Guid>(renewal.Claims.Count);
        var leaseUntil = SqliteRows.Ticks(_time.GetUtcNow() + renewal.LeaseDuration);
        foreach (var chunk in renewal.Claims.Chunk(ChunkSize))
        {
            using var command = Connection.CreateCommand();
            var sql = new StringBuilder("UPDATE jobs SET lease_until = @leaseUntil FROM (VALUES ");
            command.Parameters.AddWithValue("@leaseUntil", leaseUntil);
            for (var i = 0; i < chunk.Length; i++)
            {
                var index = i.ToString(CultureInfo.InvariantCulture);
                sql.Append(i == 0 ? "" : ", ").Append("(@j").Append(index).Append(", @c").Append(index).Append(')');
                command.Parameters.AddWithValue("@j" + index, SqliteRows.Id(chunk[i].Key));
                command.Parameters.AddWithValue("@c" + index, SqliteRows.Id(chunk[i].Value));
            }

            sql.Append(") AS claims WHERE jobs.id = claims.column1 AND jobs.claim_id = claims.column2 RETURNING jobs.id");
            command.CommandText = sql.ToString();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                renewed.Add(SqliteRows.ReadId(reader, 0));
            }
        }

        return renewed;
    }

    /// <summary>Moves active jobs whose owner is gone to Interrupted (Cancelling ones to Cancelled), clearing their claim: one read to pick them, one update per chunk.</summary>
    public List<JobReclaimed> Reclaim(JobReclaimRequest request)
    {
        var p = _orphans.Parameters;
        p[0].Value = SqliteRows.Ticks(_time.GetUtcNow());
        p[1].Value = request.IncludeLiveLeases ? 1 : 0;
        p[2].Value = SqliteRows.Text(request.InstanceId);
        p[3].Value = request.MaxCount;
        var before = new Dictionary<Guid, (JobStatus Status, string? InstanceId)>();
        using (var reader = _orphans.ExecuteReader())
        {
            while (reader.Read())
            {
                before[SqliteRows.ReadId(reader, 0)] = ((JobStatus)reader.GetInt32(1), SqliteRows.NullableText(reader, 2));
            }
        }

        var reclaimed = new List<JobReclaimed>(before.Count);
        foreach (var chunk in before.Keys.Chunk(ChunkSize))
        {
            // Nothing else writes between the read above and this update: the writer runs one write at a time.
            using var command = Connection.CreateCommand();
            var sql = new StringBuilder(
                $"UPDATE jobs SET status = CASE WHEN status = {(int)JobStatus.Cancelling} THEN {(int)JobStatus.Cancelled} ELSE {(int)JobStatus.Interrupted} END, " +
                $"version = version + 1, ended_at = CASE WHEN status = {(int)JobStatus.Cancelling} THEN @at ELSE ended_at END, " +
                $"instance_id = NULL, claim_id = NULL, lease_until = NULL WHERE status IN {SqliteStatuses.Active} AND id IN (");
            command.Parameters.AddWithValue("@at", SqliteRows.Ticks(request.At));
            AppendIds(sql, command, chunk);
            sql.Append(") RETURNING ").Append(SqliteSchema.JobColumns);
            command.CommandText = sql.ToString();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var job = SqliteRows.ReadJob(reader);
                var (status, instanceId) = before[job.Id];
                reclaimed.Add(new JobReclaimed { Job = job, PreviousStatus = status, PreviousInstanceId = instanceId });
            }
        }

        return reclaimed;
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

    /// <summary>Deletes up to <paramref name="maxCount"/> finished jobs that ended strictly before the cut-off, oldest first, with their journals.</summary>
    public int Purge(DateTimeOffset endedBefore, int maxCount)
    {
        _purgeJobs.Parameters[0].Value = SqliteRows.Ticks(endedBefore);
        _purgeJobs.Parameters[1].Value = maxCount;
        var deleted = new List<Guid>();
        using (var reader = _purgeJobs.ExecuteReader())
        {
            while (reader.Read())
            {
                deleted.Add(SqliteRows.ReadId(reader, 0));
            }
        }

        foreach (var chunk in deleted.Chunk(ChunkSize))
        {
            foreach (var table in (ReadOnlySpan<string>)["job_log", "job_rejects"])
            {
                using var command = Connection.CreateCommand();
                var sql = new StringBuilder("DELETE FROM ").Append(table).Append(" WHERE job_id IN (");
                AppendIds(sql, command, chunk);
                command.CommandText = sql.Append(')').ToString();
                command.ExecuteNonQuery();
            }
        }

        return deleted.Count;
    }

    public void Dispose()
    {
        foreach (var command in new[]
        {
            _insert, _transition, _storedReport, _claimOne, _progress, _draft, _isClaimed, _lastLogSequence, _lastRejectSequence, _insertLog, _insertReject,
            _heldKeys, _orphans, _purgeJobs,
        })
        {
            command.Dispose();
        }
    }

    // Only parameter names go into the text; the ids are bound.
    private static void AppendIds(StringBuilder sql, SqliteCommand command, Guid[] ids)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            var name = "@p" + i.ToString(CultureInfo.InvariantCulture);
            sql.Append(i == 0 ? "" : ", ").Append(name);
            command.Parameters.AddWithValue(name, SqliteRows.Id(ids[i]));
        }
    }

    /// <summary>The report stored now, for a checkpoint saved by a transition that brings no report of its own.</summary>
    private JobReport? StoredReport(Guid jobId)
    {
        _storedReport.Parameters[0].Value = SqliteRows.Id(jobId);
        using var reader = _storedReport.ExecuteReader();
        return reader.Read()
            ? new JobReport
            {
                Progress = new JobProgress(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1)),
                WarningCount = reader.GetInt32(2),
                Steps = reader.IsDBNull(3) ? [] : SqliteRows.ReadSteps(reader.GetString(3)),
            }
            : null;
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
            var name = prefix + i.ToString(CultureInfo.InvariantCulture);
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
