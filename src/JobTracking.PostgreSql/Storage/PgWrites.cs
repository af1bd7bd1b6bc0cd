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

/// <summary>One new job; the jobs started one by one in a batch share one statement.</summary>
internal sealed class PgCreateOne(JobRecord job) : PgWrite<bool>
{
    public override bool RecordsChanges => true;

    public override PgGroupKind Group => Kind.Instance;

    public override Guid? GroupJobId => job.Id;

    public JobRecord Job => job;

    private sealed class Kind : PgGroupKind
    {
        public static readonly Kind Instance = new();

        public override void AddTo(NpgsqlBatch batch, PgStatements sql, List<PgWrite> writes) =>
            batch.BatchCommands.Add(PgCreate.Command(sql.CreateEach, writes.ConvertAll(w => ((PgCreateOne)w).Job)));

        public override async ValueTask ReadAsync(NpgsqlDataReader reader, List<PgWrite> writes)
        {
            var stored = await PgWrites.ReadIds(reader).ConfigureAwait(false);
            foreach (PgCreateOne write in writes)
            {
                if (stored.Contains(write.Job.Id))
                {
                    write.SetResult(true);
                }
                else
                {
#pragma warning disable CA2208 // The error names the parameter of the store's CreateAsync, whose job this is.
                    write.SetError(new ArgumentException(
                        $"Another job with id '{write.Job.Id}' already exists (a create sent again finds its own job identical: same type, display name, parameters, launched-by, priority, concurrency key and creation time); nothing was stored.",
                        "job"));
#pragma warning restore CA2208
                }
            }
        }
    }
}

/// <summary>One status compare-and-set; the transitions of a batch share one statement, one row per job.</summary>
internal sealed class PgTransition(JobTransition t) : PgWrite<bool>
{
    public override bool RecordsChanges => true;

    public override PgGroupKind Group => Kind.Instance;

    public override Guid? GroupJobId => t.JobId;

    private JobTransition Move => t;

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

/// <summary>A draft's new parameters and display name.</summary>
internal sealed class PgUpdateDraft(Guid jobId, long expectedVersion, string parameters, string displayName, DateTimeOffset? now) : PgWrite<bool>
{
    public override bool RecordsChanges => true;

    public override void AddTo(NpgsqlBatch batch, PgStatements sql) =>
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.UpdateDraft)
        {
            Parameters = { PgRows.Text(parameters), PgRows.Text(displayName), PgRows.Uuid(jobId), PgRows.Long(expectedVersion), PgRows.Time(now) },
        });

    protected override ValueTask<bool> ReadResultAsync(NpgsqlDataReader reader) => PgWrites.ReadApplied(reader);
}

/// <summary>Queued jobs moved to Running for an instance, in one statement.</summary>
internal sealed class PgClaim(JobClaimRequest request, DateTimeOffset? now, string?[] clusterTypes, int[] clusterLimits) : PgWrite<IReadOnlyList<JobRecord>>
{
    public override bool RecordsChanges => true;

    /// <summary>Gets the claimed rows that could not be read (edited by hand): Running under this claim, for the store to fail.</summary>
    public List<UnreadableJob> Unreadable { get; private set; } = [];

    public override void AddTo(NpgsqlBatch batch, PgStatements sql)
    {
        var excluded = new List<string?>();
        var limitedTypes = new List<string?>();
        var limits = new List<int>();
        foreach (var (type, limit) in request.TypeLimits)
        {
            if (limit <= 0)
            {
                excluded.Add(PgText.Store(type));
            }
            else
            {
                limitedTypes.Add(PgText.Store(type));
                limits.Add(limit);
            }
        }

        // Read past enough ready jobs that type limits and held keys seldom leave the claim short.
        var scan = (int)Math.Min(int.MaxValue, (request.MaxCount * 4L) + 16);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.Claim)
        {
            Parameters =
            {
                PgRows.Array(excluded.ToArray(), NpgsqlDbType.Text),
                PgRows.Int(scan),
                PgRows.Array(limitedTypes.ToArray(), NpgsqlDbType.Text),
                PgRows.Array(limits.ToArray(), NpgsqlDbType.Integer),
                PgRows.Int(request.MaxCount),
                PgRows.Time(request.At),
                PgRows.Text(request.Node),
                PgRows.Text(request.InstanceId),
                PgRows.Time(now),
                PgRows.Interval(request.LeaseDuration),
                PgRows.Array(clusterTypes, NpgsqlDbType.Text),
                PgRows.Array(clusterLimits, NpgsqlDbType.Integer),
            },
        });
    }

    protected override async ValueTask<IReadOnlyList<JobRecord>> ReadResultAsync(NpgsqlDataReader reader)
    {
        var claimed = new List<JobRecord>();
        Unreadable = [];
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            if (PgRows.TryReadJob(reader, Unreadable) is { } job)
            {
                claimed.Add(job);
            }
        }

        return claimed;
    }
}

/// <summary>Longer leases for an instance's claims that are still current.</summary>
internal sealed class PgRenewLeases(JobLeaseRenewal renewal, DateTimeOffset? now) : PgWrite<IReadOnlyCollection<Guid>>
{
    public override bool RecordsChanges => false;

    public override void AddTo(NpgsqlBatch batch, PgStatements sql)
    {
        var jobs = new Guid[renewal.Claims.Count];
        var claims = new Guid[renewal.Claims.Count];
        var i = 0;
        foreach (var (job, claim) in renewal.Claims)
        {
            jobs[i] = job;
            claims[i++] = claim;
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.RenewLeases)
        {
            Parameters = { PgRows.Time(now), PgRows.Interval(renewal.LeaseDuration), PgRows.Array(jobs, NpgsqlDbType.Uuid), PgRows.Array(claims, NpgsqlDbType.Uuid) },
        });
    }

    protected override async ValueTask<IReadOnlyCollection<Guid>> ReadResultAsync(NpgsqlDataReader reader)
    {
        var renewed = new List<Guid>(renewal.Claims.Count);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            renewed.Add(reader.GetGuid(0));
        }

        return renewed;
    }
}

/// <summary>Active jobs whose owner is gone, moved to Interrupted (Pausing ones to Paused, Cancelling ones to Cancelled), and, when asked, interrupted jobs queued again in their place.</summary>
internal sealed class PgReclaim(JobReclaimRequest request, DateTimeOffset? now) : PgWrite<IReadOnlyList<JobReclaimed>>
{
    public override bool RecordsChanges => true;

    /// <summary>Gets the reclaimed rows that could not be read (edited by hand), for the store to fail.</summary>
    public List<UnreadableJob> Unreadable { get; private set; } = [];

    public override void AddTo(NpgsqlBatch batch, PgStatements sql) =>
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.Reclaim)
        {
            Parameters =
            {
                PgRows.Time(now), PgRows.Bool(request.IncludeLiveLeases), PgRows.Text(request.InstanceId), PgRows.Int(request.MaxCount), PgRows.Time(request.At),
                PgRows.Bool(request.Resume),
            },
        });

    protected override async ValueTask<IReadOnlyList<JobReclaimed>> ReadResultAsync(NpgsqlDataReader reader)
    {
        var reclaimed = new List<JobReclaimed>();
        Unreadable = [];
        var columns = reader.FieldCount;
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            if (PgRows.TryReadJob(reader, Unreadable) is { } job)
            {
                reclaimed.Add(new JobReclaimed
                {
                    Job = job,
                    PreviousStatus = StoredRow.Status(reader.GetInt16(columns - 2)),
                    PreviousInstanceId = PgRows.NullableText(reader, columns - 1),
                });
            }
        }

        return reclaimed;
    }
}

/// <summary>Finished jobs deleted with their journals, a bounded number at a time.</summary>
internal sealed class PgPurge(DateTimeOffset endedBefore, int maxCount) : PgWrite<int>
{
    public override bool RecordsChanges => false;

    public override void AddTo(NpgsqlBatch batch, PgStatements sql) =>
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.Purge) { Parameters = { PgRows.Time(endedBefore), PgRows.Int(maxCount) } });

    protected override async ValueTask<int> ReadResultAsync(NpgsqlDataReader reader) => (int)await PgWrites.ReadCount(reader).ConfigureAwait(false);
}

/// <summary>Log lines and rejects; the journal batches of a batch share one statement.</summary>
internal sealed class PgAppendJournal(IReadOnlyList<JobJournalEntry> entries) : PgWrite<int>
{
    public override bool RecordsChanges => false;

    public override PgGroupKind Group => Kind.Instance;

    private IReadOnlyList<JobJournalEntry> Entries => entries;

    private sealed class Kind : PgGroupKind
    {
        public static readonly Kind Instance = new();

        public override void AddTo(NpgsqlBatch batch, PgStatements sql, List<PgWrite> writes)
        {
            var n = 0;
            foreach (PgAppendJournal write in writes)
            {
                n += write.Entries.Count;
            }

            var jobs = new Guid[n];
            var claims = new Guid?[n];
            var kinds = new short[n];
            var at = new DateTime[n];
            var levels = new short[n];
            var texts = new string?[n];
            var numbers = new long[n];
            var reasons = new string?[n];
            var ops = new int[n];
            var i = 0;
            for (var op = 0; op < writes.Count; op++)
            {
                foreach (var entry in ((PgAppendJournal)writes[op]).Entries)
                {
                    jobs[i] = entry.JobId;
                    claims[i] = entry.ClaimId;
                    kinds[i] = (short)entry.Kind;
                    at[i] = entry.At.UtcDateTime;
                    levels[i] = (short)entry.Level;
                    texts[i] = PgText.Store(entry.Text);
                    numbers[i] = entry.RecordNumber;
                    reasons[i] = PgText.Store(entry.Reason ?? string.Empty);
                    ops[i++] = op;
                }
            }

            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.AppendJournal)
            {
                Parameters =
                {
                    PgRows.Array(jobs, NpgsqlDbType.Uuid), PgRows.Array(claims, NpgsqlDbType.Uuid), PgRows.Array(kinds, NpgsqlDbType.Smallint),
                    PgRows.Array(at, NpgsqlDbType.TimestampTz), PgRows.Array(levels, NpgsqlDbType.Smallint), PgRows.Array(texts, NpgsqlDbType.Text),
                    PgRows.Array(numbers, NpgsqlDbType.Bigint), PgRows.Array(reasons, NpgsqlDbType.Text), PgRows.Array(ops, NpgsqlDbType.Integer),
                },
            });
        }

        public override async ValueTask ReadAsync(NpgsqlDataReader reader, List<PgWrite> writes)
        {
            var stored = new int[writes.Count];
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                stored[reader.GetInt32(0)] = (int)reader.GetInt64(1);
            }

            for (var op = 0; op < writes.Count; op++)
            {
                ((PgAppendJournal)writes[op]).SetResult(stored[op]);
            }
        }
    }
}

internal static class PgWrites
{
    public static async ValueTask<HashSet<Guid>> ReadIds(NpgsqlDataReader reader)
    {
        var ids = new HashSet<Guid>();
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    public static async ValueTask<bool> ReadApplied(NpgsqlDataReader reader) => await ReadCount(reader).ConfigureAwait(false) == 1;

    public static async ValueTask<long> ReadCount(NpgsqlDataReader reader) =>
        await reader.ReadAsync().ConfigureAwait(false) ? reader.GetInt64(0) : 0;
}
