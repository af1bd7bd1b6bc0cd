using JobTracking.Storage;
using Npgsql;
using NpgsqlTypes;

namespace JobTracking.PostgreSql.Storage;

/// <summary>One status compare-and-set; the transitions of a batch share one statement, one row per job.</summary>
internal sealed class PgTransition(JobTransition t, DateTimeOffset? now) : PgWrite<bool>
{
    public override bool RecordsChanges => true;

    public override bool FitsApplicationTransaction => true;

    public override PgGroupKind Group => Kind.Instance;

    public override Guid? GroupJobId => t.JobId;

    private JobTransition Move => t;

    private DateTimeOffset? Now => now;

    private sealed class Kind : PgGroupKind
    {
        public static readonly Kind Instance = new();

        public override void AddTo(NpgsqlBatch batch, PgStatements sql, List<PgWrite> writes)
        {
            var n = writes.Count;
            var ids = new Guid[n];
            var from = new short[n];
            var versions = new long[n];
            var to = new short[n];
            var fences = new Guid?[n];
            var at = new DateTime[n];
            var nodes = new string?[n];
            var newAttempt = new bool[n];
            var start = new bool[n];
            var ends = new bool[n];
            var requeue = new bool[n];
            var fails = new bool[n];
            var errorTypes = new string?[n];
            var errorMessages = new string?[n];
            var errorStacks = new string?[n];
            var hasReport = new bool[n];
            var done = new long[n];
            var totals = new long?[n];
            var warnings = new int[n];
            var steps = new string?[n];
            var hasCheckpoint = new bool[n];
            var checkpoints = new string?[n];
            var checkpointReports = new string?[n];
            var staysActive = new bool[n];
            var runAfter = new DateTime?[n];
            var attemptFails = new bool[n];
            for (var i = 0; i < n; i++)
            {
                var t = ((PgTransition)writes[i]).Move;
                var report = t.Report;
                ids[i] = t.JobId;
                from[i] = (short)t.FromStatus;
                versions[i] = t.ExpectedVersion;
                to[i] = (short)t.ToStatus;
                fences[i] = t.ClaimId;
                at[i] = t.At.UtcDateTime;
                nodes[i] = PgText.Store(t.Node);
                newAttempt[i] = t.IsNewAttempt;
                start[i] = t.FromStatus == JobStatus.Queued && t.ToStatus == JobStatus.Running;
                ends[i] = JobLifecycle.IsFinished(t.ToStatus);
                requeue[i] = t.ToStatus == JobStatus.Queued;
                fails[i] = t.ToStatus == JobStatus.Failed;
                errorTypes[i] = PgText.Store(t.Error?.Type);
                errorMessages[i] = PgText.Store(t.Error?.Message);
                errorStacks[i] = PgText.Store(t.Error?.StackTrace);
                hasReport[i] = report is not null;
                done[i] = report?.Progress.Done ?? 0;
                totals[i] = report?.Progress.Total;
                warnings[i] = report?.WarningCount ?? 0;
                steps[i] = report is null ? null : JobReportJson.WriteSteps(report.Steps);
                hasCheckpoint[i] = t.HasCheckpoint;
                checkpoints[i] = PgText.Store(t.Checkpoint);
                checkpointReports[i] = t.HasCheckpoint ? JobReportJson.WriteReport(report) : null;
                staysActive[i] = JobLifecycle.IsActive(t.ToStatus);
                runAfter[i] = requeue[i] ? t.RunAfter?.UtcDateTime : null;
                attemptFails[i] = t.IsNewAttempt && t.Error is not null;
            }

            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.Transition)
            {
                Parameters =
                {
                    PgRows.Array(ids, NpgsqlDbType.Uuid), PgRows.Array(from, NpgsqlDbType.Smallint), PgRows.Array(versions, NpgsqlDbType.Bigint),
                    PgRows.Array(to, NpgsqlDbType.Smallint), PgRows.Array(fences, NpgsqlDbType.Uuid), PgRows.Array(at, NpgsqlDbType.TimestampTz),
                    PgRows.Array(nodes, NpgsqlDbType.Text), PgRows.Array(newAttempt, NpgsqlDbType.Boolean), PgRows.Array(start, NpgsqlDbType.Boolean),
                    PgRows.Array(ends, NpgsqlDbType.Boolean), PgRows.Array(requeue, NpgsqlDbType.Boolean), PgRows.Array(fails, NpgsqlDbType.Boolean),
                    PgRows.Array(errorTypes, NpgsqlDbType.Text), PgRows.Array(errorMessages, NpgsqlDbType.Text), PgRows.Array(errorStacks, NpgsqlDbType.Text),
                    PgRows.Array(hasReport, NpgsqlDbType.Boolean), PgRows.Array(done, NpgsqlDbType.Bigint), PgRows.Array(totals, NpgsqlDbType.Bigint),
                    PgRows.Array(warnings, NpgsqlDbType.Integer), PgRows.Array(steps, NpgsqlDbType.Text), PgRows.Array(hasCheckpoint, NpgsqlDbType.Boolean),
                    PgRows.Array(checkpoints, NpgsqlDbType.Text), PgRows.Array(checkpointReports, NpgsqlDbType.Text), PgRows.Array(staysActive, NpgsqlDbType.Boolean),
                    PgRows.Array(runAfter, NpgsqlDbType.TimestampTz), PgRows.Array(attemptFails, NpgsqlDbType.Boolean), PgRows.Time(((PgTransition)writes[0]).Now),
                },
            });
        }

        public override async ValueTask ReadAsync(NpgsqlDataReader reader, List<PgWrite> writes)
        {
            var moved = await PgWrites.ReadIds(reader).ConfigureAwait(false);
            foreach (PgTransition write in writes)
            {
                write.SetResult(moved.Contains(write.Move.JobId));
            }
        }
    }
}
