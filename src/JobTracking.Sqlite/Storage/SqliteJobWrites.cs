using System.Text;
using JobTracking.Storage;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The writes that change one job: create, the status compare-and-set, progress and checkpoint, draft edits, and retention.</summary>
internal sealed class SqliteJobWrites : IDisposable
{
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _sameJob;
    private readonly SqliteCommand _transition;
    private readonly SqliteCommand _storedReport;
    private readonly SqliteCommand _progress;
    private readonly SqliteCommand _draft;
    private readonly SqliteCommand _purgeJobs;
    private readonly TimeProvider _time;

    // The queue order: each entry into Queued takes the next number.
    private long _queueSequence;

    public SqliteJobWrites(SqliteConnection connection, TimeProvider timeProvider)
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
            $"@warnings, {T("@steps")}, NULL, NULL, NULL, {T("@checkpointReport")}, NULL, @queueSeq) " +
            "ON CONFLICT (id) DO NOTHING",
            "@id", "@type", "@name", "@status", "@version", "@parameters", "@launchedBy", "@priority", "@key", "@created", "@started", "@ended", "@attempt",
            "@node", "@done", "@total", "@checkpoint", "@errorType", "@errorMessage", "@errorStack", "@warnings", "@steps", "@checkpointReport", "@queueSeq");

        // A create sent again after its answer was lost finds its own job: the fields JobStoreArguments.IsIdenticalNewJob
        // compares, each bound as the insert binds it, so what the store keeps of a text (or a time) compares equal.
        _sameJob = Command(
            $"SELECT 1 FROM jobs WHERE id = @id AND type_name = {T("@type")} AND display_name = {T("@name")} AND parameters = {T("@parameters")} " +
            $"AND launched_by IS {T("@launchedBy")} AND priority = @priority AND concurrency_key IS {T("@key")} AND created_at = @created " +
            "AND (version <> 1 OR status = @status)",
            "@id", "@type", "@name", "@parameters", "@launchedBy", "@priority", "@key", "@created", "@status");

        // The side effects documented on JobTransition, in one compare-and-set on (id, status, version[, claim]). The
        // attempt a restart ends is built from the row as it was: SQLite reads every column of a SET before the update.
        _transition = Command(
            $"""
            UPDATE jobs SET
                previous_attempts = CASE WHEN @newAttempt THEN json_insert(COALESCE(previous_attempts, '[]'), '$[#]', json_object(
                    'number', attempt, 'started', COALESCE(started_at, @at), 'ended', COALESCE(ended_at, @at), 'status', status,
                    'errorType', error_type, 'errorMessage', error_message, 'errorStack', error_stack)) ELSE previous_attempts END,
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
        _progress = Command(
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

    /// <summary>Stores a new job; true also when the store holds this very job already (the create was sent again after its answer was lost).</summary>
    public bool Create(JobRecord job) => Insert(job) || IsStored(job);

    /// <summary>Inserts a new job; false when its id exists.</summary>
    private bool Insert(JobRecord job)
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
        p[21].Value = SqliteRows.Text(JobReportJson.WriteSteps(job.Steps));
        p[22].Value = SqliteRows.Text(JobReportJson.WriteReport(job.CheckpointReport));
        p[23].Value = job.Status == JobStatus.Queued ? ++_queueSequence : DBNull.Value;
        return _insert.ExecuteNonQuery() == 1;
    }

    /// <summary>
    /// Inserts every job with the one prepared insert; throws, so the writer rolls the batch back, when an id exists,
    /// unless every id exists with its job identical (the batch was sent again after its answer was lost).
    /// </summary>
    /// <returns>The number of jobs of the batch.</returns>
    public int CreateMany(IReadOnlyList<JobRecord> jobs)
    {
        var held = -1;
        var inserted = -1;
        for (var i = 0; i < jobs.Count; i++)
        {
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

        return jobs.Count;
    }

    private bool IsStored(JobRecord job)
    {
        var p = _sameJob.Parameters;
        p[0].Value = SqliteRows.Id(job.Id);
        p[1].Value = SqliteRows.Text(job.TypeName);
        p[2].Value = SqliteRows.Text(job.DisplayName);
        p[3].Value = SqliteRows.Text(job.Parameters);
        p[4].Value = SqliteRows.Text(job.LaunchedBy);
        p[5].Value = job.Priority;
        p[6].Value = SqliteRows.Text(job.ConcurrencyKey);
        p[7].Value = SqliteRows.Ticks(job.CreatedAt);
        p[8].Value = (int)job.Status;
        return _sameJob.ExecuteScalar() is not null;
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
        p[15].Value = SqliteRows.Text(report is null ? null : JobReportJson.WriteSteps(report.Steps));
        p[16].Value = t.HasCheckpoint ? 1 : 0;
        p[17].Value = SqliteRows.Text(t.Checkpoint);
        p[18].Value = t.HasCheckpoint ? SqliteRows.Text(JobReportJson.WriteReport(report ?? StoredReport(t.JobId))) : DBNull.Value;
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

    /// <summary>Stores a run's report, and its checkpoint with the report that goes with it, while the job is active and (when given) the claim is current.</summary>
    public bool SaveProgress(JobProgressUpdate update)
    {
        var p = _progress.Parameters;
        var report = update.Report;
        p[0].Value = report.Progress.Done;
        p[1].Value = SqliteRows.Value(report.Progress.Total);
        p[2].Value = report.WarningCount;
        p[3].Value = SqliteRows.Text(JobReportJson.WriteSteps(report.Steps));
        p[4].Value = update.HasCheckpoint ? 1 : 0;
        p[5].Value = SqliteRows.Text(update.Checkpoint);
        p[6].Value = update.HasCheckpoint ? SqliteRows.Text(JobReportJson.WriteReport(report)) : DBNull.Value;
        p[7].Value = SqliteRows.Id(update.JobId);
        p[8].Value = SqliteRows.Id(update.ClaimId);
        p[9].Value = SqliteRows.Ticks(_time.GetUtcNow());
        return _progress.ExecuteNonQuery() == 1;
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
            foreach (var table in (ReadOnlySpan<string>)["job_log", "job_rejects"])
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
        foreach (var command in new[] { _insert, _sameJob, _transition, _storedReport, _progress, _draft, _purgeJobs })
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
}
