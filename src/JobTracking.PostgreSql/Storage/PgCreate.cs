using JobTracking.Storage;
using Npgsql;
using NpgsqlTypes;

namespace JobTracking.PostgreSql.Storage;

/// <summary>Stores new jobs, all or nothing: none is stored when one of the ids exists (a bulk start); a batch whose every job is stored already, identical, succeeds.</summary>
internal sealed class PgCreate(IReadOnlyList<JobRecord> jobs) : PgWrite<int>
{
    public override bool RecordsChanges => true;

    public override void AddTo(NpgsqlBatch batch, PgStatements sql) => batch.BatchCommands.Add(Command(sql.Create, jobs));

    /// <summary>The statement that stores <paramref name="jobs"/>, their fields bound as one array per column.</summary>
    public static NpgsqlBatchCommand Command(string statement, IReadOnlyList<JobRecord> jobs)
    {
        var n = jobs.Count;
        var ids = new Guid[n];
        var types = new string?[n];
        var names = new string?[n];
        var statuses = new short[n];
        var parameters = new string?[n];
        var launchedBy = new string?[n];
        var priorities = new int[n];
        var keys = new string?[n];
        var created = new long[n];
        var createdTimes = new DateTime[n];
        var started = new DateTime?[n];
        var ended = new DateTime?[n];
        var attempts = new int[n];
        var nodes = new string?[n];
        var done = new long[n];
        var totals = new long?[n];
        var checkpoints = new string?[n];
        var errorTypes = new string?[n];
        var errorMessages = new string?[n];
        var errorStacks = new string?[n];
        var warnings = new int[n];
        var steps = new string?[n];
        var reports = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var job = jobs[i];
            ids[i] = job.Id;
            types[i] = PgText.Store(job.TypeName);
            names[i] = PgText.Store(job.DisplayName);
            statuses[i] = (short)job.Status;
            parameters[i] = PgText.Store(job.Parameters);
            launchedBy[i] = PgText.Store(job.LaunchedBy);
            priorities[i] = job.Priority;
            keys[i] = PgText.Store(job.ConcurrencyKey);
            created[i] = job.CreatedAt.UtcTicks;
            createdTimes[i] = job.CreatedAt.UtcDateTime;
            started[i] = job.StartedAt?.UtcDateTime;
            ended[i] = job.EndedAt?.UtcDateTime;
            attempts[i] = job.Attempt;
            nodes[i] = PgText.Store(job.Node);
            done[i] = job.Progress.Done;
            totals[i] = job.Progress.Total;
            checkpoints[i] = PgText.Store(job.Checkpoint);
            errorTypes[i] = PgText.Store(job.Error?.Type);
            errorMessages[i] = PgText.Store(job.Error?.Message);
            errorStacks[i] = PgText.Store(job.Error?.StackTrace);
            warnings[i] = job.WarningCount;
            steps[i] = JobReportJson.WriteSteps(job.Steps);
            reports[i] = JobReportJson.WriteReport(job.CheckpointReport);
        }

        return new NpgsqlBatchCommand(statement)
        {
            Parameters =
            {
                PgRows.Array(ids, NpgsqlDbType.Uuid), PgRows.Array(types, NpgsqlDbType.Text), PgRows.Array(names, NpgsqlDbType.Text),
                PgRows.Array(statuses, NpgsqlDbType.Smallint), PgRows.Array(parameters, NpgsqlDbType.Text), PgRows.Array(launchedBy, NpgsqlDbType.Text),
                PgRows.Array(priorities, NpgsqlDbType.Integer), PgRows.Array(keys, NpgsqlDbType.Text), PgRows.Array(created, NpgsqlDbType.Bigint),
                PgRows.Array(started, NpgsqlDbType.TimestampTz), PgRows.Array(ended, NpgsqlDbType.TimestampTz), PgRows.Array(attempts, NpgsqlDbType.Integer),
                PgRows.Array(nodes, NpgsqlDbType.Text), PgRows.Array(done, NpgsqlDbType.Bigint), PgRows.Array(totals, NpgsqlDbType.Bigint),
                PgRows.Array(checkpoints, NpgsqlDbType.Text), PgRows.Array(errorTypes, NpgsqlDbType.Text), PgRows.Array(errorMessages, NpgsqlDbType.Text),
                PgRows.Array(errorStacks, NpgsqlDbType.Text), PgRows.Array(warnings, NpgsqlDbType.Integer), PgRows.Array(steps, NpgsqlDbType.Text),
                PgRows.Array(reports, NpgsqlDbType.Text), PgRows.Array(createdTimes, NpgsqlDbType.TimestampTz),
            },
        };
    }

#pragma warning disable CA2208 // The error names the parameter of the store's CreateManyAsync, whose jobs these are.
    protected override async ValueTask<int> ReadResultAsync(NpgsqlDataReader reader)
    {
        // Nothing was stored when any id exists; all is well only when every id exists with its own job (the batch was
        // sent again after its answer was lost).
        Dictionary<Guid, bool>? existing = null;
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            (existing ??= [])[reader.GetGuid(0)] = reader.GetBoolean(1);
        }

        if (existing is null)
        {
            return jobs.Count;
        }

        var held = -1;
        var missing = -1;
        for (var i = 0; i < jobs.Count; i++)
        {
            if (!existing.TryGetValue(jobs[i].Id, out var same))
            {
                missing = missing < 0 ? i : missing;
            }
            else if (!same)
            {
                throw new ArgumentException($"Job {i} of the batch: another job with id '{jobs[i].Id}' already exists; nothing was stored.", nameof(jobs));
            }
            else
            {
                held = held < 0 ? i : held;
            }
        }

        return missing < 0
            ? jobs.Count
            : throw new ArgumentException(
                $"Job {held} of the batch ('{jobs[held].Id}') is stored already but job {missing} ('{jobs[missing].Id}') is not: a batch is stored whole or not at all, so this is not a stored batch sent again; nothing was stored.",
                nameof(jobs));
    }
#pragma warning restore CA2208
}
