using JobTracking.Storage;
using Npgsql;
using NpgsqlTypes;

namespace JobTracking.PostgreSql.Storage;

/// <summary>A running job's report and, maybe, its checkpoint; the reports of a batch share one statement, one row per job.</summary>
internal sealed class PgSaveProgress(JobProgressUpdate update, DateTimeOffset? now) : PgWrite<bool>
{
    public override bool RecordsChanges => true;

    public override PgGroupKind Group => Kind.Instance;

    public override Guid? GroupJobId => update.JobId;

    private JobProgressUpdate Update => update;

    private DateTimeOffset? Now => now;

    private sealed class Kind : PgGroupKind
    {
        public static readonly Kind Instance = new();

        public override void AddTo(NpgsqlBatch batch, PgStatements sql, List<PgWrite> writes)
        {
            var n = writes.Count;
            var ids = new Guid[n];
            var fences = new Guid?[n];
            var done = new long[n];
            var totals = new long?[n];
            var warnings = new int[n];
            var steps = new string?[n];
            var hasCheckpoint = new bool[n];
            var checkpoints = new string?[n];
            var reports = new string?[n];
            for (var i = 0; i < n; i++)
            {
                var update = ((PgSaveProgress)writes[i]).Update;
                var report = update.Report;
                ids[i] = update.JobId;
                fences[i] = update.ClaimId;
                done[i] = report.Progress.Done;
                totals[i] = report.Progress.Total;
                warnings[i] = report.WarningCount;
                steps[i] = JobReportJson.WriteSteps(report.Steps);
                hasCheckpoint[i] = update.HasCheckpoint;
                checkpoints[i] = PgText.Store(update.Checkpoint);
                reports[i] = update.HasCheckpoint ? JobReportJson.WriteReport(report) : null;
            }

            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.SaveProgress)
            {
                Parameters =
                {
                    PgRows.Array(ids, NpgsqlDbType.Uuid), PgRows.Array(fences, NpgsqlDbType.Uuid), PgRows.Array(done, NpgsqlDbType.Bigint),
                    PgRows.Array(totals, NpgsqlDbType.Bigint), PgRows.Array(warnings, NpgsqlDbType.Integer), PgRows.Array(steps, NpgsqlDbType.Text),
                    PgRows.Array(hasCheckpoint, NpgsqlDbType.Boolean), PgRows.Array(checkpoints, NpgsqlDbType.Text), PgRows.Array(reports, NpgsqlDbType.Text),
                    PgRows.Time(((PgSaveProgress)writes[0]).Now),
                },
            });
        }

        public override async ValueTask ReadAsync(NpgsqlDataReader reader, List<PgWrite> writes)
        {
            var saved = await PgWrites.ReadIds(reader).ConfigureAwait(false);
            foreach (PgSaveProgress write in writes)
            {
                write.SetResult(saved.Contains(write.Update.JobId));
            }
        }
    }
}
