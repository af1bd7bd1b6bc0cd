using System.Text;
using JobTracking.Storage;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The writes that change one job: create (with its idempotency key), the status compare-and-set, progress and checkpoint, draft edits, and retention.</summary>
internal sealed class SqliteJobWrites : IDisposable
{
    private readonly SqliteStatement _insert;
    private readonly SqliteStatement _sameJob;
    private readonly SqliteStatement _keyHolder;
    private readonly SqliteStatement _releaseKey;
    private readonly SqliteStatement _transition;
    private readonly SqliteCommand _storedReport;
    private readonly SqliteStatement _progress;
    private readonly SqliteCommand _draft;
    private readonly SqliteCommand _purgeJobs;
    private readonly TimeProvider _time;
    private readonly SqliteQueue _queue;

    public SqliteJobWrites(SqliteConnection connection, TimeProvider timeProvider, SqliteQueue queue)
    {
        Connection = connection;
        _time = timeProvider;
        _queue = queue;

        _insert = Statement(
            $"INSERT INTO jobs ({SqliteSchema.JobColumns}, queue_seq) VALUES (@id, {T("@type")}, {T("@name")}, @status, @version, {T("@parameters")}, {T("@launchedBy")}, @priority, {T("@key")}, " +
            $"@created, @started, @ended, @attempt, {T("@node")}, @done, @total, {T("@checkpoint")}, {T("@errorType")}, {T("@errorMessage")}, {T("@errorStack")}, " +
            $"@warnings, {T("@steps")}, NULL, NULL, NULL, {T("@checkpointReport")}, NULL, @runAfter, {T("@idempotencyKey")}, @idempotentUntil, @timeout, @queueSeq) " +
            "ON CONFLICT (id) DO NOTHING",
            "@id", "@type", "@name", "@status", "@version", "@parameters", "@launchedBy", "@priority", "@key", "@created", "@started", "@ended", "@attempt",
            "@node", "@done", "@total", "@checkpoint", "@errorType", "@errorMessage", "@errorStack", "@warnings", "@steps", "@checkpointReport",
            "@runAfter", "@idempotencyKey", "@idempotentUntil", "@timeout", "@queueSeq");

        // A create sent again after its answer was lost finds its own job: the fields JobStoreArguments.IsIdenticalNewJob
        // compares, each bound as the insert binds it, so what the store keeps of a text (or a time) compares equal.
        _sameJob = Statement(
            $"SELECT 1 FROM jobs WHERE id = @id AND type_name = {T("@type")} AND display_name = {T("@name")} AND parameters = {T("@parameters")} " +
            $"AND launched_by IS {T("@launchedBy")} AND priority = @priority AND concurrency_key IS {T("@key")} AND created_at = @created " +
            "AND idempotent_until IS @idempotentUntil AND timeout IS @timeout " +
            $"AND (version <> 1 OR (status = @status AND run_after IS @runAfter AND idempotency_key IS {T("@idempotencyKey")}))",
            "@id", "@type", "@name", "@parameters", "@launchedBy", "@priority", "@key", "@created", "@status",
            "@idempotentUntil", "@timeout", "@runAfter", "@idempotencyKey");

        // The job that has an idempotency key, from the key's unique index; whether it still holds it is decided here, by
        // the store's clock, and only the writer writes, so nothing changes between this read and the write it decides.
        _keyHolder = Statement(
            $"SELECT id, status, idempotent_until FROM jobs WHERE idempotency_key = {T("@idempotencyKey")}",
            "@idempotencyKey");
        _releaseKey = Statement("UPDATE jobs SET idempotency_key = NULL WHERE id = @id", "@id");

        // The side effects documented on JobTransition, in one compare-and-set on (id, status, version[, claim]). The
        // attempt a restart ends is built from the row as it was: SQLite reads every column of a SET before the update.
        _transition = Statement(
            $"""
            UPDATE jobs SET
                previous_attempts = CASE WHEN @newAttempt THEN json_insert(COALESCE(previous_attempts, '[]'), '$[#]', json_object(
                    'number', attempt, 'started', COALESCE(started_at, @at),
                    'ended', CASE WHEN @retryError THEN @at ELSE COALESCE(ended_at, @at) END,
                    'status', CASE WHEN @retryError THEN {(int)JobStatus.Failed} ELSE status END,
                    'errorType', CASE WHEN @retryError THEN {T("@errorType")} ELSE error_type END,
                    'errorMessage', CASE WHEN @retryError THEN {T("@errorMessage")} ELSE error_message END,
                    'errorStack', CASE WHEN @retryError THEN {T("@errorStack")} ELSE error_stack END)) ELSE previous_attempts END,
                status = @to,
                version = version + 1,
                changed_at = @at,
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
                queue_seq = CASE WHEN @requeue THEN @queueSeq WHEN @start THEN COALESCE(queue_seq, @queueSeq) ELSE queue_seq END,
                run_after = CASE WHEN @requeue THEN @runAfter ELSE run_after END,
                instance_id = CASE WHEN @staysActive THEN instance_id END,
                claim_id = CASE WHEN @staysActive THEN claim_id END,
                lease_until = CASE WHEN @staysActive THEN lease_until END
            WHERE id = @id AND status = @from AND version = @version AND (@fence IS NULL OR claim_id = @fence)
            """,
            "@to", "@newAttempt", "@start", "@at", "@node", "@ends", "@requeue", "@fails", "@errorType", "@errorMessage", "@errorStack",
            "@hasReport", "@done", "@total", "@warnings", "@steps", "@hasCheckpoint", "@checkpoint", "@checkpointReport", "@queueSeq", "@staysActive",
            "@id", "@from", "@version", "@fence", "@retryError", "@runAfter");
        _storedReport = Command("SELECT progress_done, progress_total, warning_count, steps FROM jobs WHERE id = @id", "@id");
        _progress = Statement(
            $"""
            UPDATE jobs SET
                progress_done = @done,
                progress_total = @total,
                warning_count = @warnings,
                steps = {T("@steps")},
                checkpoint = CASE WHEN @hasCheckpoint THEN {T("@checkpoint")} ELSE checkpoint END,
                checkpoint_report = CASE WHEN @hasCheckpoint THEN {T("@checkpointReport")} ELSE checkpoint_report END,
                changed_at = @at
            WHERE id = @id AND status IN {SqliteStatuses.Active} AND (@fence IS NULL OR claim_id = @fence)
            """,
            "@done", "@total", "@warnings", "@steps", "@hasCheckpoint", "@checkpoint", "@checkpointReport", "@id", "@fence", "@at");
        _draft = Command(
            $"UPDATE jobs SET parameters = {T("@parameters")}, display_name = {T("@name")}, version = version + 1, changed_at = @at WHERE id = @id AND status = {(int)JobStatus.Editing} AND version = @version",
            "@parameters", "@name", "@id", "@version", "@at");
        _purgeJobs = Command(
            $"DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE ended_at < @cut AND status IN {SqliteStatuses.Finished} ORDER BY ended_at LIMIT @max) RETURNING id",
            "@cut", "@max");
    }

    public SqliteConnection Connection { get; }

    /// <summary>
    /// Stores a new job, unless another job holds its idempotency key (that job's id is returned) or the store holds this
    /// very job already (the create was sent again after its answer was lost).
    /// </summary>
    /// <returns>The id of the job stored for <paramref name="job"/>, or <see langword="null"/> when another job has its id.</returns>
    /// <remarks>A job with a key may write twice (the key taken from a job that no longer holds it, then the insert): run it in a savepoint.</remarks>
    public Guid? Create(JobRecord job)
    {
        if (job.IdempotencyKey is { } key && HolderOf(key, job.Id) is { } holder)
        {
            return holder;
        }

        return Insert(job) || IsStored(job) ? job.Id : null;
    }

    /// <summary>
    /// Finds the job that holds an idempotency key: a job holds its key while unfinished, and once finished while its
    /// idempotent-until time is unset or later than the store's now. A job found that no longer holds it loses the key
    /// (its version and the feed unchanged), so the new job can take it.
    /// </summary>
    /// <returns>The holder's id; <see langword="null"/> when no other job holds the key (the job with <paramref name="jobId"/> itself is left to the identity check).</returns>
    private Guid? HolderOf(string key, Guid jobId)
    {
        var p = _keyHolder;
        Guid found;
        bool holds;
        p.Bind(0, key);
        try
        {
            if (!p.Step())
            {
                return null;
            }

            found = p.GetId(0);
            if (found == jobId)
            {
                return null;
            }

            // A status or time that is not an integer (edited by hand) is taken as holding: the key is never taken from a job that may still hold it.
            holds = !p.IsInteger(1) || !JobLifecycle.IsFinished((JobStatus)p.GetInt64(1))
                || p.IsNull(2) || !p.IsInteger(2) || p.GetInt64(2) > _time.GetUtcNow().UtcTicks;
        }
        finally
        {
            p.Reset();
        }

        if (holds)
        {
            return found;
        }

        _releaseKey.Bind(0, found);
        _releaseKey.Execute();
        return null;
    }

    /// <summary>Inserts a new job; false when its id exists. A queued job whose run-after time is later than the store's now waits, without a place in the queue.</summary>
    private bool Insert(JobRecord job)
    {
        var p = _insert;
        p.Bind(0, job.Id);
        p.Bind(1, job.TypeName);
        p.Bind(2, job.DisplayName);
        p.Bind(3, (long)job.Status);
        p.Bind(4, job.Version);
        p.Bind(5, job.Parameters);
        p.Bind(6, job.LaunchedBy);
        p.Bind(7, job.Priority);
        p.Bind(8, job.ConcurrencyKey);
        p.Bind(9, job.CreatedAt);
        p.Bind(10, job.StartedAt);
        p.Bind(11, job.EndedAt);
        p.Bind(12, job.Attempt);
        p.Bind(13, job.Node);
        p.Bind(14, job.Progress.Done);
        p.Bind(15, job.Progress.Total);
        p.Bind(16, job.Checkpoint);
        p.Bind(17, job.Error?.Type);
        p.Bind(18, job.Error?.Message);
        p.Bind(19, job.Error?.StackTrace);
        p.Bind(20, job.WarningCount);
        p.Bind(21, JobReportJson.WriteSteps(job.Steps));
        p.Bind(22, JobReportJson.WriteReport(job.CheckpointReport));
        p.Bind(23, job.RunAfter);
        p.Bind(24, job.IdempotencyKey);
        p.Bind(25, job.IdempotentUntil);
        p.Bind(26, job.Timeout?.Ticks);
        var waits = job.Status == JobStatus.Queued && Waits(job.RunAfter);
        if (job.Status == JobStatus.Queued && !waits)
        {
            _queue.PromoteDue(); // the jobs that came due before this one enter the queue first
        }

        p.Bind(27, job.Status == JobStatus.Queued && !waits ? _queue.NextPlace : null);
        if (p.Execute() != 1)
        {
            return false;
        }

        if (waits)
        {
            _queue.Waits(job.RunAfter!.Value.UtcTicks);
        }
        else if (job.Status == JobStatus.Queued)
        {
            _queue.TakePlace();
        }

        return true;
    }

    // A job queued for a time later than the store's now waits for it; the clock is read only for a job with a time.
    private bool Waits(DateTimeOffset? runAfter) => runAfter is { } at && at > _time.GetUtcNow();

    /// <summary>
    /// Inserts every job with the one prepared insert; throws, so the writer rolls the batch back, when an id exists,
    /// unless every id exists with its job identical (the batch was sent again after its answer was lost).
    /// </summary>
    /// <remarks>
    /// A job whose idempotency key another job holds (stored before, or an earlier job of this batch) is not stored, and
    /// takes the holder's id; it counts neither as stored nor as found, so a batch sent again is still recognised.
    /// </remarks>
    /// <returns>For each job of the batch, the id of the job stored for it.</returns>
    public Guid[] CreateMany(IReadOnlyList<JobRecord> jobs)
    {
        var ids = new Guid[jobs.Count];
        var held = -1;
        var inserted = -1;
        for (var i = 0; i < jobs.Count; i++)
        {
            ids[i] = jobs[i].Id;
            if (jobs[i].IdempotencyKey is { } key && HolderOf(key, jobs[i].Id) is { } holder)
            {
                ids[i] = holder;
                continue;
            }

            if (Insert(jobs[i]))
            {
                inserted = inserted < 0 ? i : inserted;
            }
            else if (IsStored(jobs[i]))
            {
                held = held < 0 ? i : held;
            }
            else
            {
                throw new ArgumentException($"Job {i} of the batch: another job with id '{jobs[i].Id}' already exists; nothing was stored.", nameof(jobs));
            }

            if (held >= 0 && inserted >= 0)
            {
                throw new ArgumentException(
                    $"Job {held} of the batch ('{jobs[held].Id}') is stored already but job {inserted} ('{jobs[inserted].Id}') is not: a batch is stored whole or not at all, so this is not a stored batch sent again; nothing was stored.",
                    nameof(jobs));
            }
        }

        return ids;
    }

    private bool IsStored(JobRecord job)
    {
        var p = _sameJob;
        p.Bind(0, job.Id);
        p.Bind(1, job.TypeName);
        p.Bind(2, job.DisplayName);
        p.Bind(3, job.Parameters);
        p.Bind(4, job.LaunchedBy);
        p.Bind(5, job.Priority);
        p.Bind(6, job.ConcurrencyKey);
        p.Bind(7, job.CreatedAt);
        p.Bind(8, (long)job.Status);
        p.Bind(9, job.IdempotentUntil);
        p.Bind(10, job.Timeout?.Ticks);
        p.Bind(11, job.RunAfter);
        p.Bind(12, job.IdempotencyKey);
        try
        {
            return p.Step();
        }
        finally
        {
            p.Reset();
        }
    }

    public bool Transition(in JobTransition t)
    {
        var p = _transition;
        var report = t.Report;
        p.Bind(0, (long)t.ToStatus);
        p.Bind(1, t.IsNewAttempt);
        p.Bind(2, t.FromStatus == JobStatus.Queued && t.ToStatus == JobStatus.Running);
        p.Bind(3, t.At);
        p.Bind(4, t.Node);
        p.Bind(5, JobLifecycle.IsFinished(t.ToStatus));
        p.Bind(6, t.ToStatus == JobStatus.Queued);
        p.Bind(7, t.ToStatus == JobStatus.Failed);
        p.Bind(8, t.Error?.Type);
        p.Bind(9, t.Error?.Message);
        p.Bind(10, t.Error?.StackTrace);
        p.Bind(11, report is not null);
        p.Bind(12, report?.Progress.Done ?? 0);
        p.Bind(13, report?.Progress.Total);
        p.Bind(14, report?.WarningCount ?? 0);
        p.Bind(15, report is null ? null : JobReportJson.WriteSteps(report.Steps));
        p.Bind(16, t.HasCheckpoint);
        p.Bind(17, t.Checkpoint);
        p.Bind(18, t.HasCheckpoint ? JobReportJson.WriteReport(report ?? StoredReport(t.JobId)) : null);
        // A move to Queued takes a new place, unless the job waits for a later time; a move to Running takes one only when
        // the job had none (it was waiting), so a job that runs always has a place to keep if it is queued again by a reclaim.
        var requeue = t.ToStatus == JobStatus.Queued;
        var waits = requeue && Waits(t.RunAfter);
        var takesPlace = (requeue && !waits) || (t.FromStatus == JobStatus.Queued && t.ToStatus == JobStatus.Running);
        if (requeue && !waits)
        {
            _queue.PromoteDue();
        }

        p.Bind(19, takesPlace ? _queue.NextPlace : null);
        p.Bind(20, JobLifecycle.IsActive(t.ToStatus));
        p.Bind(21, t.JobId);
        p.Bind(22, (long)t.FromStatus);
        p.Bind(23, t.ExpectedVersion);
        p.Bind(24, t.ClaimId);
        p.Bind(25, t.IsNewAttempt && t.Error is not null);
        p.Bind(26, t.RunAfter);
        if (p.Execute() != 1)
        {
            return false;
        }

        if (waits)
        {
            _queue.Waits(t.RunAfter!.Value.UtcTicks);
        }
        else if (takesPlace)
        {
            _queue.TakePlace();
        }

        return true;
    }

    /// <summary>Stores a run's report, and its checkpoint with the report that goes with it, while the job is active and (when given) the claim is current.</summary>
    public bool SaveProgress(JobProgressUpdate update)
    {
        var p = _progress;
        var report = update.Report;
        p.Bind(0, report.Progress.Done);
        p.Bind(1, report.Progress.Total);
        p.Bind(2, report.WarningCount);
        p.Bind(3, JobReportJson.WriteSteps(report.Steps));
        p.Bind(4, update.HasCheckpoint);
        p.Bind(5, update.Checkpoint);
        p.Bind(6, update.HasCheckpoint ? JobReportJson.WriteReport(report) : null);
        p.Bind(7, update.JobId);
        p.Bind(8, update.ClaimId);
        p.Bind(9, _time.GetUtcNow());
        return p.Execute() == 1;
    }

    public bool UpdateDraft(Guid jobId, long expectedVersion, string parameters, string displayName)
    {
        var p = _draft.Parameters;
        p[0].Value = SqliteRows.Text(parameters);
        p[1].Value = SqliteRows.Text(displayName);
        p[2].Value = SqliteRows.Id(jobId);
        p[3].Value = expectedVersion;
        p[4].Value = SqliteRows.Ticks(_time.GetUtcNow());
        return _draft.ExecuteNonQuery() == 1;
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

        foreach (var chunk in deleted.Chunk(SqliteRows.ChunkSize))
        {
            foreach (var table in (ReadOnlySpan<string>)["job_log", "job_rejects", "job_history"])
            {
                using var command = Connection.CreateCommand();
                var sql = new StringBuilder("DELETE FROM ").Append(table).Append(" WHERE job_id IN (");
                SqliteRows.AppendIds(sql, command, chunk);
                command.CommandText = sql.Append(')').ToString();
                command.ExecuteNonQuery();
            }
        }

        return deleted.Count;
    }

    public void Dispose()
    {
        foreach (var statement in new[] { _insert, _sameJob, _keyHolder, _releaseKey, _transition, _progress })
        {
            statement.Dispose();
        }

        foreach (var command in new[] { _storedReport, _draft, _purgeJobs })
        {
            command.Dispose();
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
                Steps = reader.IsDBNull(3) ? [] : JobReportJson.ReadSteps(reader.GetString(3)),
            }
            : null;
    }

    private static string T(string parameter) => SqliteRows.AsText(parameter);

    private SqliteCommand Command(string sql, params string[] parameters) => SqliteRows.Command(Connection, sql, parameters);

    private SqliteStatement Statement(string sql, params string[] parameters) => new(Connection, sql, parameters);
}
