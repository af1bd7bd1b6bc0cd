using System.Globalization;
using System.Text;
using JobTracking.Storage;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The writes that decide who runs a job: claims from the queue (after giving the jobs that came due their place), lease renewal, and reclaiming the jobs of owners that are gone.</summary>
/// <remarks>Leases and run-after times are judged by the store's clock, never by a time the caller sends.</remarks>
internal sealed class SqliteClaimWrites : IDisposable
{
    private const int Queued = (int)JobStatus.Queued;
    private const int Running = (int)JobStatus.Running;
    private const string ScanOrder = " ORDER BY priority DESC, queue_seq";
    private static readonly string ScanStart = $"SELECT id, type_name, concurrency_key FROM jobs INDEXED BY ix_jobs_queue WHERE status = {Queued} AND (queue_seq IS NOT NULL OR run_after IS NULL)";

    private readonly TimeProvider _time;
    private readonly SqliteQueue _queue;
    private readonly SqliteStatement _claimOne;
    private readonly SqliteStatement _heldKeys;
    private readonly SqliteCommand _orphans;
    private readonly SqliteCommand _orphansAndInterrupted;
    private readonly SqliteCommand _failUnreadable;
    private readonly SqliteStatement _scanAll;

    // A claim's working sets, kept from one claim to the next (only the writer's loop claims).
    private readonly Dictionary<string, int> _claimedByType = new(StringComparer.Ordinal);
    private readonly HashSet<string> _excludedTypes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _heldKeySet = new(StringComparer.Ordinal);
    private readonly List<Guid> _picked = [];
    private readonly HashSet<Guid> _pickedSet = [];
    private readonly List<UnreadableJob> _unreadable = [];

    public SqliteClaimWrites(SqliteConnection connection, TimeProvider timeProvider, SqliteQueue queue)
    {
        Connection = connection;
        _time = timeProvider;
        _queue = queue;
        _claimOne = new SqliteStatement(
            connection,
            $"UPDATE jobs SET status = {Running}, version = version + 1, changed_at = @at, started_at = COALESCE(started_at, @at), node = {T("@node")}, " +
            $"instance_id = {T("@instance")}, claim_id = @claim, lease_until = @leaseUntil " +
            $"WHERE id = @id AND status = {Queued} RETURNING {SqliteSchema.JobColumns}",
            "@at", "@node", "@instance", "@leaseUntil", "@claim", "@id");
        _heldKeys = new SqliteStatement(connection, $"SELECT DISTINCT concurrency_key FROM jobs WHERE status IN {SqliteStatuses.Active} AND concurrency_key IS NOT NULL");

        // An active job whose owner is gone: its lease ended (or it never had one, as jobs from a version 1 file), or,
        // when every other instance is known to be gone, any job that is not the caller's.
        const string Orphaned = "(lease_until IS NULL OR lease_until <= @now OR (@includeLive AND (instance_id IS NULL OR instance_id <> @instanceText)))";
        _orphans = Command(
            $"SELECT id, status, instance_id FROM jobs WHERE status IN {SqliteStatuses.Active} AND {Orphaned.Replace("@instanceText", T("@instance"), StringComparison.Ordinal)} LIMIT @max",
            "@now", "@includeLive", "@instance", "@max");

        // The same, and every Interrupted job, for a reclaim that queues them again: one scan of the status index.
        _orphansAndInterrupted = Command(
            $"SELECT id, status, instance_id FROM jobs WHERE status IN {SqliteStatuses.ActiveOrInterrupted} " +
            $"AND (status = {(int)JobStatus.Interrupted} OR {Orphaned.Replace("@instanceText", T("@instance"), StringComparison.Ordinal)}) LIMIT @max",
            "@now", "@includeLive", "@instance", "@max");

        // A row a claim or reclaim cannot read (edited by hand) must not stop the others: it ends Failed, saying why, and
        // is never run. Only this store's writer writes, so nothing changes the row between the read and this update.
        _failUnreadable = Command(
            $"UPDATE jobs SET status = {(int)JobStatus.Failed}, version = version + 1, changed_at = @at, ended_at = @at, " +
            $"error_type = {T("@errorType")}, error_message = {T("@errorMessage")}, error_stack = NULL, instance_id = NULL, claim_id = NULL, lease_until = NULL " +
            "WHERE id = @id AND status = @status",
            "@at", "@errorType", "@errorMessage", "@id", "@status");

        // The scan of a claim that leaves nothing out (no type at its limit, no key held), prepared once: the usual case.
        _scanAll = new SqliteStatement(connection, ScanStart + ScanOrder);
    }

    public SqliteConnection Connection { get; }

    /// <summary>Moves queued jobs to Running: highest priority first, then queue order, skipping types at their limit and jobs whose key is held.</summary>
    /// <remarks>Waiting jobs whose time has come by the store's clock first enter the queue.</remarks>
    public List<JobRecord> Claim(JobClaimRequest request)
    {
        var now = _time.GetUtcNow();
        _queue.PromoteDue(now);

        var claimedByType = _claimedByType;
        var excludedTypes = _excludedTypes;
        var heldKeys = _heldKeySet;
        var picked = _picked;
        var pickedSet = _pickedSet;
        var unreadable = _unreadable;
        claimedByType.Clear();
        excludedTypes.Clear();
        heldKeys.Clear();
        picked.Clear();
        pickedSet.Clear();
        unreadable.Clear();
        foreach (var (type, limit) in request.TypeLimits)
        {
            if (limit <= 0)
            {
                excludedTypes.Add(type);
            }
        }

        try
        {
            while (_heldKeys.Step())
            {
                heldKeys.Add(_heldKeys.GetText(0)!);
            }
        }
        finally
        {
            _heldKeys.Reset();
        }

        // Pick first, then move: a scan must not see the rows it changes. When a limit or a key fills up mid-scan
        // and many rows were skipped because of it, the scan starts again with them left out in SQL.
        var scanAgain = true;
        while (scanAgain && picked.Count < request.MaxCount)
        {
            scanAgain = false;
            var excludes = excludedTypes.Count > 0 || heldKeys.Count > 0;
            if (excludes)
            {
                using var built = CandidateScan(excludedTypes, heldKeys);
                using var reader = built.ExecuteReader();
                scanAgain = Pick(new ReaderCandidates(reader), request);
            }
            else
            {
                try
                {
                    scanAgain = Pick(new StatementCandidates(_scanAll), request);
                }
                finally
                {
                    _scanAll.Reset();
                }
            }
        }

        var claimed = new List<JobRecord>(picked.Count);
        var p = _claimOne;
        p.Bind(0, request.At);
        p.Bind(1, request.Node);
        p.Bind(2, request.InstanceId);
        p.Bind(3, now + request.LeaseDuration);
        foreach (var id in picked)
        {
            p.Bind(4, RandomIds.NewGuid());
            p.Bind(5, id);
            try
            {
                if (p.Step() && SqliteRows.TryReadJob(p, unreadable) is { } job)
                {
                    claimed.Add(job);
                }
            }
            finally
            {
                p.Reset();
            }
        }

        FailUnreadable(unreadable, request.At);
        return claimed;
    }

    // One pass over the queue's candidates, picking into the claim's working sets; true when the scan should start again
    // with the types and keys that filled up left out in SQL.
    private bool Pick<TCandidates>(TCandidates candidates, JobClaimRequest request)
        where TCandidates : ICandidates
    {
        var skipped = 0;
        var newExclusion = false;
        while (candidates.Read())
        {
            var id = candidates.Id;
            var type = candidates.Type;
            var key = candidates.Key;
            if (_pickedSet.Contains(id))
            {
                continue;
            }

            if (_excludedTypes.Contains(type) || (key is not null && _heldKeySet.Contains(key)))
            {
                if (++skipped > 64 && newExclusion)
                {
                    return true;
                }

                continue;
            }

            _picked.Add(id);
            _pickedSet.Add(id);
            if (key is not null)
            {
                _heldKeySet.Add(key);
                newExclusion = true;
            }

            var count = _claimedByType[type] = _claimedByType.GetValueOrDefault(type) + 1;
            if (request.TypeLimits.TryGetValue(type, out var limit) && count >= limit)
            {
                _excludedTypes.Add(type);
                newExclusion = true;
            }

            if (_picked.Count == request.MaxCount)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Sets the lease of every listed claim that is still its job's current one, in one statement per chunk of claims.</summary>
    public List<Guid> RenewLeases(JobLeaseRenewal renewal)
    {
        var renewed = new List<Guid>(renewal.Claims.Count);
        var leaseUntil = SqliteRows.Ticks(_time.GetUtcNow() + renewal.LeaseDuration);
        foreach (var chunk in renewal.Claims.Chunk(SqliteRows.ChunkSize))
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

    /// <summary>
    /// Moves active jobs whose owner is gone to where their owner would have left them (Running and ShuttingDown to
    /// Interrupted, Pausing to Paused, Cancelling to Cancelled), clearing their claim, and, when asked to resume, the
    /// interrupted ones on to Queued with their queue_seq kept: one read to pick them, then one update per chunk and step.
    /// </summary>
    /// <remarks>
    /// Both steps run in the one write operation, inside its savepoint, and nothing else writes in between (the writer runs
    /// one write at a time), so no claim sees a reclaimed job's concurrency key free before the job is queued again. Each
    /// step is its own UPDATE so the feed trigger records each change.
    /// </remarks>
    public List<JobReclaimed> Reclaim(JobReclaimRequest request)
    {
        var pick = request.Resume ? _orphansAndInterrupted : _orphans;
        var p = pick.Parameters;
        p[0].Value = SqliteRows.Ticks(_time.GetUtcNow());
        p[1].Value = request.IncludeLiveLeases ? 1 : 0;
        p[2].Value = SqliteRows.Text(request.InstanceId);
        p[3].Value = request.MaxCount;
        var before = new Dictionary<Guid, (JobStatus Status, string? InstanceId)>();
        using (var reader = pick.ExecuteReader())
        {
            while (reader.Read())
            {
                before[SqliteRows.ReadId(reader, 0)] = (SqliteRows.ReadStatus(reader, 1), SqliteRows.NullableText(reader, 2));
            }
        }

        var moved = new Dictionary<Guid, JobRecord>(before.Count);
        var unreadable = new List<UnreadableJob>();
        var at = SqliteRows.Ticks(request.At);
        var orphans = before.Where(b => b.Value.Status != JobStatus.Interrupted).Select(b => b.Key);
        Move(
            orphans,
            $"UPDATE jobs SET status = CASE status WHEN {(int)JobStatus.Cancelling} THEN {(int)JobStatus.Cancelled} WHEN {(int)JobStatus.Pausing} THEN {(int)JobStatus.Paused} " +
            $"ELSE {(int)JobStatus.Interrupted} END, version = version + 1, changed_at = @at, " +
            $"ended_at = CASE WHEN status = {(int)JobStatus.Cancelling} THEN @at ELSE ended_at END, " +
            $"instance_id = NULL, claim_id = NULL, lease_until = NULL WHERE status IN {SqliteStatuses.Active} AND id IN (",
            at,
            moved,
            unreadable);

        if (request.Resume)
        {
            // Interrupted now (just taken from Running or ShuttingDown) or before: queued again, at the place queue_seq keeps.
            var resumable = before.Where(b => b.Value.Status is JobStatus.Interrupted or JobStatus.Running or JobStatus.ShuttingDown).Select(b => b.Key).ToList();
            unreadable.RemoveAll(u => u.Status == (int)JobStatus.Interrupted); // met again below, Queued
            Move(
                resumable,
                $"UPDATE jobs SET status = {(int)JobStatus.Queued}, version = version + 1, changed_at = @at, ended_at = NULL, " +
                // Every job that ran had a place; one without (a row edited by hand) still enters the queue instead of waiting for ever.
                $"queue_seq = COALESCE(queue_seq, {_queue.TakePlace().ToString(CultureInfo.InvariantCulture)}) " +
                $"WHERE status = {(int)JobStatus.Interrupted} AND id IN (",
                at,
                moved,
                unreadable);
        }

        // A job reclaimed to Cancelled is final and one Paused waits for a command that names the problem; one left
        // Interrupted or Queued would wait for a resume or a claim that cannot read it.
        unreadable.RemoveAll(u => u.Status is not ((int)JobStatus.Interrupted or (int)JobStatus.Queued));
        FailUnreadable(unreadable, request.At);

        var reclaimed = new List<JobReclaimed>(moved.Count);
        foreach (var job in moved.Values)
        {
            var (status, instanceId) = before[job.Id];
            reclaimed.Add(new JobReclaimed { Job = job, PreviousStatus = status, PreviousInstanceId = instanceId });
        }

        return reclaimed;
    }

    public void Dispose()
    {
        foreach (var command in new[] { _orphans, _orphansAndInterrupted, _failUnreadable })
        {
            command.Dispose();
        }

        foreach (var statement in new[] { _claimOne, _heldKeys, _scanAll })
        {
            statement.Dispose();
        }
    }

    // One UPDATE per chunk of ids, each row as it is after the move kept by id (a later step's row replaces an earlier one).
    private void Move(IEnumerable<Guid> ids, string updateUpToIds, long at, Dictionary<Guid, JobRecord> moved, List<UnreadableJob> unreadable)
    {
        foreach (var chunk in ids.Chunk(SqliteRows.ChunkSize))
        {
            using var command = Connection.CreateCommand();
            var sql = new StringBuilder(updateUpToIds);
            command.Parameters.AddWithValue("@at", at);
            SqliteRows.AppendIds(sql, command, chunk);
            sql.Append(") RETURNING ").Append(SqliteSchema.JobColumns);
            command.CommandText = sql.ToString();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (SqliteRows.TryReadJob(reader, unreadable) is { } job)
                {
                    moved[job.Id] = job;
                }
            }
        }
    }

    private void FailUnreadable(List<UnreadableJob> unreadable, DateTimeOffset at)
    {
        var p = _failUnreadable.Parameters;
        foreach (var job in unreadable)
        {
            p[0].Value = SqliteRows.Ticks(at);
            p[1].Value = SqliteRows.Text(typeof(JobTrackingException).FullName);
            p[2].Value = SqliteRows.Text(job.Error.Message);
            p[3].Value = SqliteRows.Id(job.Id);
            p[4].Value = (object?)job.Status ?? DBNull.Value; // NULL matches no row; a claim never meets a status that is not a number
            _failUnreadable.ExecuteNonQuery();
        }
    }

    private SqliteCommand CandidateScan(HashSet<string> excludedTypes, HashSet<string> excludedKeys)
    {
        var sql = new StringBuilder(ScanStart);
        var command = Connection.CreateCommand();
        AppendNotIn(sql, command, "type_name", "@t", excludedTypes);
        if (excludedKeys.Count > 0)
        {
            sql.Append(" AND (concurrency_key IS NULL");
            AppendNotIn(sql, command, "concurrency_key", "@k", excludedKeys, joiner: " OR ");
            sql.Append(')');
        }

        sql.Append(ScanOrder);
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

    private static string T(string parameter) => SqliteRows.AsText(parameter);

    private SqliteCommand Command(string sql, params string[] parameters) => SqliteRows.Command(Connection, sql, parameters);

    /// <summary>The queue's candidates of a claim (id, type, concurrency key), however the scan is read.</summary>
    private interface ICandidates
    {
        Guid Id { get; }

        string Type { get; }

        string? Key { get; }

        bool Read();
    }

    private readonly struct StatementCandidates(SqliteStatement scan) : ICandidates
    {
        public Guid Id => scan.GetId(0);

        public string Type => scan.GetNameOrNull(1)!;

        public string? Key => scan.GetText(2);

        public bool Read() => scan.Step();
    }

    private readonly struct ReaderCandidates(SqliteDataReader reader) : ICandidates
    {
        public Guid Id => SqliteRows.ReadId(reader, 0);

        public string Type => reader.GetString(1);

        public string? Key => SqliteRows.NullableText(reader, 2);

        public bool Read() => reader.Read();
    }
}
