using JobTracking.Storage;
using Npgsql;
using NpgsqlTypes;

namespace JobTracking.PostgreSql.Storage;

/// <summary>Stores new jobs, all or nothing: none is stored when one of the ids exists (a bulk start); a batch whose every job is stored already, identical, succeeds. A job whose idempotency key is held is not stored; its place in the result holds the holder's id.</summary>
internal sealed class PgCreate(IReadOnlyList<JobRecord> jobs, DateTimeOffset? now) : PgWrite<IReadOnlyList<Guid>>
{
    private readonly bool _keyed = HasKeys(jobs);

    public override bool RecordsChanges => true;

    public override bool FitsApplicationTransaction => true;

    public override void AddTo(NpgsqlBatch batch, PgStatements sql)
    {
        if (_keyed)
        {
            batch.BatchCommands.Add(ReleaseKeys(sql.ReleaseKeysAll, jobs, now));
        }

        batch.BatchCommands.Add(Command(sql.Create, jobs, now));
        if (_keyed)
        {
            batch.BatchCommands.Add(KeyHolders(sql, jobs));
        }
    }

    /// <summary>Gets whether any of <paramref name="jobs"/> has an idempotency key (the statements that take and resolve keys are left out otherwise).</summary>
    public static bool HasKeys(IReadOnlyList<JobRecord> jobs)
    {
        for (var i = 0; i < jobs.Count; i++)
        {
            if (jobs[i].IdempotencyKey is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The statement that takes, from former holders, the keys of <paramref name="jobs"/> no job holds any more.</summary>
    public static NpgsqlBatchCommand ReleaseKeys(string statement, IReadOnlyList<JobRecord> jobs, DateTimeOffset? now)
    {
        var ids = new Guid[jobs.Count];
        var keys = new string?[jobs.Count];
        for (var i = 0; i < jobs.Count; i++)
        {
            ids[i] = jobs[i].Id;
            keys[i] = PgText.Store(jobs[i].IdempotencyKey);
        }

        return new NpgsqlBatchCommand(statement)
        {
            Parameters = { PgRows.Array(ids, NpgsqlDbType.Uuid), PgRows.Array(keys, NpgsqlDbType.Text), PgRows.Time(now) },
        };
    }

    /// <summary>The statement that reads who holds each key of <paramref name="jobs"/>, by the job's ordinal (from 1).</summary>
    public static NpgsqlBatchCommand KeyHolders(PgStatements sql, IReadOnlyList<JobRecord> jobs)
    {
        var keys = new string?[jobs.Count];
        for (var i = 0; i < jobs.Count; i++)
        {
            keys[i] = PgText.Store(jobs[i].IdempotencyKey);
        }

        return new NpgsqlBatchCommand(sql.KeyHolders) { Parameters = { PgRows.Array(keys, NpgsqlDbType.Text) } };
    }

    /// <summary>Reads the rows of <see cref="KeyHolders"/>: the holder of each keyed job's key, by index.</summary>
    public static async ValueTask<Guid?[]> ReadHoldersAsync(NpgsqlDataReader reader, int count)
    {
        var holders = new Guid?[count];
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            holders[reader.GetInt64(0) - 1] = reader.GetGuid(1);
        }

        return holders;
    }

    /// <summary>The statement that stores <paramref name="jobs"/>, their fields bound as one array per column.</summary>
    public static NpgsqlBatchCommand Command(string statement, IReadOnlyList<JobRecord> jobs, DateTimeOffset? now)
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
        var runAfter = new DateTime?[n];
        var idempotencyKeys = new string?[n];
        var idempotentUntil = new DateTime?[n];
        var timeouts = new long?[n];
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
            runAfter[i] = job.RunAfter?.UtcDateTime;
            idempotencyKeys[i] = PgText.Store(job.IdempotencyKey);
            idempotentUntil[i] = job.IdempotentUntil?.UtcDateTime;
            timeouts[i] = job.Timeout?.Ticks;
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
                PgRows.Array(reports, NpgsqlDbType.Text), PgRows.Array(createdTimes, NpgsqlDbType.TimestampTz), PgRows.Array(runAfter, NpgsqlDbType.TimestampTz),
                PgRows.Array(idempotencyKeys, NpgsqlDbType.Text), PgRows.Array(idempotentUntil, NpgsqlDbType.TimestampTz), PgRows.Array(timeouts, NpgsqlDbType.Bigint),
                PgRows.Time(now),
            },
        };
    }

#pragma warning disable CA2208 // The error names the parameter of the store's CreateManyAsync, whose jobs these are.
    protected override async ValueTask<IReadOnlyList<Guid>> ReadResultAsync(NpgsqlDataReader reader)
    {
        if (_keyed)
        {
            // The reader stands on the keys' release; the insert's rows follow.
            await reader.NextResultAsync().ConfigureAwait(false);
        }

        // Nothing was stored when any id exists; all is well only when every id exists with its own job, or, for a job the
        // batch could not have stored, with the job holding its key (the batch was sent again after its answer was lost).
        Dictionary<Guid, bool>? existing = null;
        HashSet<Guid>? stored = null;
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            if (reader.GetBoolean(2))
            {
                (stored ??= []).Add(reader.GetGuid(0));
            }
            else
            {
                (existing ??= [])[reader.GetGuid(0)] = reader.GetBoolean(1);
            }
        }

        var holders = _keyed && await reader.NextResultAsync().ConfigureAwait(false) ? await ReadHoldersAsync(reader, jobs.Count).ConfigureAwait(false) : null;
        var ids = new Guid[jobs.Count];
        if (existing is null)
        {
            for (var i = 0; i < jobs.Count; i++)
            {
                ids[i] = stored is not null && stored.Contains(jobs[i].Id) ? jobs[i].Id
                    : holders?[i] ?? throw new JobTrackingException($"Job {i} of the batch ('{jobs[i].Id}') was neither stored nor found holding its idempotency key.");
            }

            return ids;
        }

        // Some id exists, so the batch stored nothing now (existing is not empty only then): it is a batch sent again.
        var held = -1;
        var missing = -1;
        for (var i = 0; i < jobs.Count; i++)
        {
            if (existing.TryGetValue(jobs[i].Id, out var same))
            {
                if (!same)
                {
                    throw new ArgumentException($"Job {i} of the batch: another job with id '{jobs[i].Id}' already exists; nothing was stored.", nameof(jobs));
                }

                held = held < 0 ? i : held;
                ids[i] = jobs[i].Id;
            }
            else if (holders?[i] is { } holder)
            {
                // Not stored by the batch: its key was held when the batch was stored.
                ids[i] = holder;
            }
            else
            {
                missing = missing < 0 ? i : missing;
            }
        }

        return missing < 0
            ? ids
            : throw new ArgumentException(
                $"Job {held} of the batch ('{jobs[held].Id}') is stored already but job {missing} ('{jobs[missing].Id}') is not: a batch is stored whole or not at all, so this is not a stored batch sent again; nothing was stored.",
                nameof(jobs));
    }
#pragma warning restore CA2208
}
