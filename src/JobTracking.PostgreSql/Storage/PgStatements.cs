using System.Globalization;
using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>
/// The SQL of one store's schema, built once. Every statement that changes a job records the change in the feed in the
/// same statement (a data-modifying CTE), so no write path can forget it and it commits or rolls back with the change.
/// Only parameters carry values; the schema name, checked by the options, is the one thing written into the text.
/// </summary>
internal sealed class PgStatements
{
    public const string Active = "(2, 3, 5, 9)";
    public const string Finished = "(6, 7, 8)";

    /// <summary>The clock that judges leases and stamps reports: a statement's <c>$NOW</c> parameter (a test's clock, when one is bound), or the database's <c>now()</c>.</summary>
    public const string Now = "COALESCE($NOW::timestamptz, now())";

    private readonly string[] _begin = new string[6];
    private readonly string _pending;
    private readonly string _lockNumbering;
    private readonly string _number;
    private readonly string _trimFeed;
    private readonly string _foldCounts;

    public PgStatements(string schema)
    {
        var s = PgSchema.Quote(schema);
        Schema = schema;
        Channel = "jobtracking_" + schema;
        var key = PgSchema.LockKey(schema).ToString(CultureInfo.InvariantCulture);

        // Bitmap scans are off for the write transaction: before the table's first ANALYZE the planner takes the queue's
        // partial index for a few rows and would read and sort every ready job for each claim, where an index scan in
        // queue order reads only the few it takes; no write of the store gains from a bitmap scan. A setting that lasts as
        // long as the transaction, so it works through PgBouncer's transaction pooling too.
        //
        // And every statement of a write transaction is planned for its own values (plan_cache_mode): the statements are
        // prepared, and after five runs PostgreSQL may keep one generic plan for good. A generic plan made while the jobs
        // table was small joins a batch's ids to it by reading the whole table (measured: a fresh schema growing to
        // 50,000 jobs, every start's batch read 27,000 rows), and it guesses the size of every batch the same. Planned
        // each time, a batch's ids are looked up by the primary key: the server's statement time fell by a third in that
        // run, and the machine's CPU per job, planning included, to 0.87x (benchmarks/HISTORY.md).
        //
        // A batch with a claim limited by ClusterJobTypeConcurrency also takes the claim lock, held to its commit: such
        // claims count a type's active jobs one at a time, each seeing the jobs the one before it took. No other write
        // takes it (concurrency keys are kept by job_key_holds), so the lock never holds up other instances' commits.
        //
        // The queue lock: every claim takes it shared (claims never wait for each other), a reclaim that queues jobs
        // again takes it exclusive. So a claim that read the queue before a reclaim put a dead instance's job back in
        // its place commits before the reclaim does, and a claim after it sees the job there: no claim takes a job
        // queued after it once it is back, and its claim comes after its return in the feed.
        for (var queueLock = 0; queueLock < 3; queueLock++)
        {
            for (var claimLock = 0; claimLock < 2; claimLock++)
            {
                var text = "SELECT set_config('enable_bitmapscan', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)";
                text += queueLock switch
                {
                    1 => $", pg_advisory_xact_lock_shared({PgSchema.QueueLockClass}, {key})",
                    2 => $", pg_advisory_xact_lock({PgSchema.QueueLockClass}, {key})",
                    _ => string.Empty,
                };
                text += claimLock == 1 ? $", pg_advisory_xact_lock({PgSchema.ClaimLockClass}, {key})" : string.Empty;
                _begin[(queueLock * 2) + claimLock] = text;
            }
        }

        // The batch's last statement: whether it stored changes (unnumbered feed rows of its own transaction; a claim that
        // found nothing has no transaction id, writes no commit record and flushes nothing).
        _pending = $"SELECT EXISTS (SELECT 1 FROM {s}.job_feed f WHERE f.seq IS NULL AND f.xmin = pg_current_xact_id_if_assigned()::xid)";

        // Numbering, a transaction of its own after the changes' commits: under the numbering lock (no other write takes
        // it, and it is held only through this short transaction), every committed unnumbered change gets the next
        // number, in the order the changes were inserted (a change made after another was seen was inserted after it).
        // Numbers therefore become visible in increasing order: a reader that has read up to a number never later finds
        // a smaller one, however the changes' own commits overlapped. The doorbell rings when this numbered anything.
        //
        // Its commit is not waited for (synchronous_commit off): the changes are durable already, and only their numbers
        // could be lost in a server crash, after readers saw them. So the first numbering after each server start is
        // waited for and jumps 2^32 past the numbers kept: whatever a lost numbering handed out is below the new numbers,
        // and the changes it numbered are numbered again above them (a reader may see such a change twice, never a
        // smaller number after a larger one).
        _lockNumbering = $"SELECT pg_advisory_xact_lock({PgSchema.LockClass}, {key})";
        _number = $"""
            WITH state AS (
                SELECT s.started IS NOT DISTINCT FROM pg_postmaster_start_time() AS same FROM {s}.job_feed_state s
            ), current AS (
                SELECT max(seq) AS latest FROM {s}.job_feed
            ), base AS (
                SELECT COALESCE(c.latest, 0) + CASE WHEN (SELECT same FROM state) OR c.latest IS NULL THEN 0 ELSE 4294967296 END AS latest FROM current c
            ), pending AS (
                SELECT rid, row_number() OVER (ORDER BY rid) AS n FROM {s}.job_feed WHERE seq IS NULL
            ), numbered AS (
                UPDATE {s}.job_feed f SET seq = b.latest + p.n FROM pending p, base b WHERE f.rid = p.rid AND f.seq IS NULL
                RETURNING f.seq
            ), started AS (
                UPDATE {s}.job_feed_state SET started = pg_postmaster_start_time() WHERE NOT (SELECT same FROM state)
            )
            SELECT COALESCE(m.latest, c.latest, 0), CASE WHEN m.latest IS NOT NULL THEN pg_notify($1, $2) END,
                set_config('synchronous_commit', CASE WHEN (SELECT same FROM state) THEN 'off' ELSE 'on' END, true)
            FROM current c, (SELECT max(seq) AS latest FROM numbered) m
            """;

        // The oldest changes, once more than the retention were stored after them: counted by their insert order (rid;
        // a change of version 1 counts by its number, below every rid), not by their numbers, which jump at a restart.
        _trimFeed = $"""
            WITH trimmed AS (
                DELETE FROM {s}.job_feed WHERE seq IN (
                    SELECT seq FROM (SELECT seq, rid FROM {s}.job_feed WHERE seq IS NOT NULL ORDER BY seq LIMIT 4096) o
                    WHERE COALESCE(o.rid, o.seq) <= (SELECT last_value FROM {s}.feed_rid) - $1)
                RETURNING 1)
            SELECT count(*) FROM trimmed
            """;

        // The counts' deltas folded into one row per type and status, in one statement (a reader sees the rows before or
        // after). Two folds at once each delete the rows the other has not (a row deleted meanwhile is passed over).
        _foldCounts = $"""
            WITH folded AS (DELETE FROM {s}.job_counts RETURNING type_name, status, count), summed AS (
                INSERT INTO {s}.job_counts (type_name, status, count)
                SELECT type_name, status, sum(count) FROM folded GROUP BY type_name, status HAVING sum(count) <> 0
                RETURNING 1)
            SELECT count(*) FROM summed
            """;
        var feedInsert = $"INSERT INTO {s}.job_feed ({PgSchema.FeedColumns})";
        var j = "j." + PgSchema.JobColumns.Replace(", ", ", j.", StringComparison.Ordinal);
        var movedFeed = "id, type_name, display_name, launched_by, status, version, attempt, progress_done, progress_total, warning_count, error_type, error_message, error_stack, instance_id";

        const string CreateInput = """
            WITH input AS (
                SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::integer[], $8::text[],
                    $9::bigint[], $10::timestamptz[], $11::timestamptz[], $12::integer[], $13::text[], $14::bigint[], $15::bigint[], $16::text[],
                    $17::text[], $18::text[], $19::text[], $20::integer[], $21::text[], $22::text[], $23::timestamptz[], $24::timestamptz[],
                    $25::text[], $26::timestamptz[], $27::bigint[])
                    WITH ORDINALITY AS i(id, type_name, display_name, status, parameters, launched_by, priority, concurrency_key, created_at,
                        started_at, ended_at, attempt, node, progress_done, progress_total, checkpoint, error_type, error_message, error_stack,
                        warning_count, steps, checkpoint_report, created_time, run_after, idempotency_key, idempotent_until, timeout, ord)
            )
            """;

        // A queued job whose time has not come waits outside the queue (no queue_seq) until a claim promotes it.
        var insertJobs = $"""
                INSERT INTO {s}.jobs (id, type_name, display_name, status, version, parameters, launched_by, priority, concurrency_key, created_at,
                    started_at, ended_at, attempt, node, progress_done, progress_total, checkpoint, error_type, error_message, error_stack,
                    warning_count, steps, checkpoint_report, queue_seq, changed_at, run_after, idempotency_key, idempotent_until, timeout)
                SELECT id, type_name, display_name, status, 1, parameters, launched_by, priority, concurrency_key, created_at,
                    started_at, ended_at, attempt, node, progress_done, progress_total, checkpoint, error_type, error_message, error_stack,
                    warning_count, steps, checkpoint_report,
                    CASE WHEN status = 1 AND (run_after IS NULL OR run_after <= {Now.Replace("$NOW", "$28", StringComparison.Ordinal)}) THEN nextval('{s}.queue_order') END,
                    created_time, run_after, idempotency_key, idempotent_until, timeout
            """;
        var feedOfCreated = $"""
                INSERT INTO {s}.job_feed ({PgSchema.FeedColumns}, run_after)
                SELECT id, 2, type_name, display_name, launched_by, status, status, 1, attempt, created_time, progress_done, progress_total,
                    warning_count, NULL, NULL, NULL, NULL, run_after
            """;

        // A create sent again after its answer was lost finds its own job: the fields JobStoreArguments.IsIdenticalNewJob
        // compares, as stored (the input is bound as the insert binds it, so stored text and times compare equal).
        const string SameJob = """
            j.type_name = i.type_name AND j.display_name = i.display_name AND j.parameters = i.parameters
                AND j.launched_by IS NOT DISTINCT FROM i.launched_by AND j.priority = i.priority
                AND j.concurrency_key IS NOT DISTINCT FROM i.concurrency_key AND j.created_at = i.created_at
                AND j.idempotent_until IS NOT DISTINCT FROM i.idempotent_until AND j.timeout IS NOT DISTINCT FROM i.timeout
                AND (j.version <> 1 OR (j.status = i.status AND j.run_after IS NOT DISTINCT FROM i.run_after
                    AND j.idempotency_key IS NOT DISTINCT FROM i.idempotency_key))
            """;

        // A bulk start: every job or none (none when one of the ids exists; the statement returns those, each with
        // whether it is the batch's own job, stored by an earlier call whose answer was lost). A job whose idempotency key
        // is held, by a stored job or by an earlier job of the batch, is passed over (ON CONFLICT on the key's unique
        // index; a conflict on an id still fails the whole statement). Rows: id, identical, stored by this statement.
        Create = $"""
            {CreateInput}, existing AS (
                SELECT j.id, ({SameJob}) AS same FROM {s}.jobs j JOIN input i ON i.id = j.id
            ), inserted AS (
                {insertJobs}
                FROM input WHERE NOT EXISTS (SELECT 1 FROM existing) ORDER BY ord
                ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING id
            ), feed AS (
                {feedOfCreated}
                FROM input WHERE id IN (SELECT id FROM inserted) ORDER BY ord
            )
            SELECT id, same, false FROM existing
            UNION ALL
            SELECT id, true, true FROM inserted
            """;

        // Jobs started one by one (each its own call), merged into one statement: each is stored unless its id exists or
        // its idempotency key is held (ON CONFLICT without a target covers both unique indexes; of two jobs of the
        // statement with one key, the first is stored). Rows: the jobs stored, and the jobs found under their ids with
        // whether each is identical (the main query sees the table as it was before the statement, so only jobs stored
        // by earlier calls).
        CreateEach = $"""
            {CreateInput}, inserted AS (
                {insertJobs}
                FROM input ORDER BY ord
                ON CONFLICT DO NOTHING
                RETURNING id
            ), feed AS (
                {feedOfCreated}
                FROM input WHERE id IN (SELECT id FROM inserted) ORDER BY ord
            )
            SELECT id, true, true FROM inserted
            UNION ALL
            SELECT i.id, ({SameJob}), false FROM input i JOIN {s}.jobs j ON j.id = i.id
            """;

        // Before keyed creates, in the same transaction: the keys they bring that no job holds any more (the holder
        // finished and its idempotent-until time passed) are taken from their former holders, version unchanged and no
        // change recorded, so the insert that follows can take them. Racing takers wait on the holder's row; the second
        // finds the key gone, and its insert then meets the first's job on the key's unique index. Nothing is taken for
        // a job whose id is stored (a create sent again), nor, for a bulk start, when any id of the batch is stored.
        var release = $"""
            WITH input AS (
                SELECT * FROM unnest($1::uuid[], $2::text[]) AS i(id, idempotency_key) WHERE idempotency_key IS NOT NULL
            ), released AS (
                UPDATE {s}.jobs j SET idempotency_key = NULL
                FROM input i
                WHERE j.idempotency_key = i.idempotency_key AND j.status IN {Finished}
                    AND j.idempotent_until <= {Now.Replace("$NOW", "$3", StringComparison.Ordinal)}
                    AND NOT EXISTS (SELECT 1 FROM {s}.jobs x WHERE x.id = $IDS)
                RETURNING 1
            )
            SELECT count(*) FROM released
            """;
        ReleaseKeysEach = release.Replace("$IDS", "i.id", StringComparison.Ordinal);
        ReleaseKeysAll = release.Replace("$IDS", "ANY($1)", StringComparison.Ordinal);

        // After keyed creates, in the same transaction (a statement of its own, so it sees what the insert stored and
        // what racing creates committed while the insert waited for them): who holds each key. Rows: ordinal, holder.
        KeyHolders = $"""
            SELECT i.ord, j.id FROM unnest($1::text[]) WITH ORDINALITY AS i(idempotency_key, ord)
            JOIN {s}.jobs j ON j.idempotency_key = i.idempotency_key
            WHERE i.idempotency_key IS NOT NULL
            """;

        // The side effects documented on JobTransition, as compare-and-sets on (id, status, version[, claim]) of many jobs
        // in one statement (one row of t per job; a job appears at most once). Every expression of a SET reads the row as
        // it was, so the attempt a restart ends is built from the old values.
        Transition = $"""
            WITH t AS (
                SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::bigint[], $4::smallint[], $5::uuid[], $6::timestamptz[], $7::text[],
                    $8::boolean[], $9::boolean[], $10::boolean[], $11::boolean[], $12::boolean[], $13::text[], $14::text[], $15::text[],
                    $16::boolean[], $17::bigint[], $18::bigint[], $19::integer[], $20::text[], $21::boolean[], $22::text[], $23::text[], $24::boolean[],
                    $25::timestamptz[], $26::boolean[])
                    AS t(id, from_status, version, to_status, fence, at, node, new_attempt, start, ends, requeue, fails, error_type, error_message,
                        error_stack, has_report, done, total, warnings, steps, has_checkpoint, checkpoint, checkpoint_report, stays_active,
                        run_after, attempt_fails)
            ), moved AS (
                UPDATE {s}.jobs j SET
                    previous_attempts = CASE WHEN t.new_attempt AND t.attempt_fails THEN COALESCE(j.previous_attempts, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
                        'number', j.attempt, 'started', COALESCE(j.started_at, t.at), 'ended', t.at, 'status', 8,
                        'errorType', t.error_type, 'errorMessage', t.error_message, 'errorStack', t.error_stack))
                        WHEN t.new_attempt THEN COALESCE(j.previous_attempts, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
                        'number', j.attempt, 'started', COALESCE(j.started_at, t.at), 'ended', COALESCE(j.ended_at, t.at), 'status', j.status,
                        'errorType', j.error_type, 'errorMessage', j.error_message, 'errorStack', j.error_stack)) ELSE j.previous_attempts END,
                    status = t.to_status,
                    version = j.version + 1,
                    changed_at = t.at,
                    started_at = CASE WHEN t.new_attempt THEN NULL WHEN t.start THEN COALESCE(j.started_at, t.at) ELSE j.started_at END,
                    node = CASE WHEN t.start THEN t.node ELSE j.node END,
                    ended_at = CASE WHEN t.ends THEN t.at WHEN t.requeue THEN NULL ELSE j.ended_at END,
                    error_type = CASE WHEN t.new_attempt THEN NULL WHEN t.fails THEN t.error_type ELSE j.error_type END,
                    error_message = CASE WHEN t.new_attempt THEN NULL WHEN t.fails THEN t.error_message ELSE j.error_message END,
                    error_stack = CASE WHEN t.new_attempt THEN NULL WHEN t.fails THEN t.error_stack ELSE j.error_stack END,
                    progress_done = CASE WHEN t.has_report THEN t.done ELSE j.progress_done END,
                    progress_total = CASE WHEN t.has_report THEN t.total ELSE j.progress_total END,
                    warning_count = CASE WHEN t.has_report THEN t.warnings ELSE j.warning_count END,
                    steps = CASE WHEN t.has_report THEN t.steps ELSE j.steps END,
                    checkpoint = CASE WHEN t.has_checkpoint THEN t.checkpoint ELSE j.checkpoint END,
                    checkpoint_report = CASE WHEN t.has_checkpoint THEN COALESCE(t.checkpoint_report, json_build_object('done', j.progress_done,
                        'total', j.progress_total, 'warnings', j.warning_count, 'steps', j.steps::json)::text) ELSE j.checkpoint_report END,
                    attempt = j.attempt + CASE WHEN t.new_attempt THEN 1 ELSE 0 END,
                    queue_seq = CASE WHEN NOT t.requeue THEN j.queue_seq
                        WHEN t.run_after > {Now.Replace("$NOW", "$27", StringComparison.Ordinal)} THEN NULL ELSE nextval('{s}.queue_order') END,
                    run_after = CASE WHEN t.requeue THEN t.run_after ELSE j.run_after END,
                    instance_id = CASE WHEN t.stays_active THEN j.instance_id END,
                    claim_id = CASE WHEN t.stays_active THEN j.claim_id END,
                    lease_until = CASE WHEN t.stays_active THEN j.lease_until END
                FROM t
                WHERE j.id = t.id AND j.status = t.from_status AND j.version = t.version AND (t.fence IS NULL OR j.claim_id = t.fence)
                RETURNING j.id, j.type_name, j.display_name, j.launched_by, j.status, j.version, j.attempt, j.progress_done, j.progress_total,
                    j.warning_count, j.error_type, j.error_message, j.error_stack, j.instance_id, t.from_status, t.at, j.concurrency_key, t.stays_active,
                    j.run_after
            ), released AS (
                DELETE FROM {s}.job_key_holds h USING moved m
                WHERE m.concurrency_key IS NOT NULL AND NOT m.stays_active AND h.concurrency_key = m.concurrency_key AND h.job_id = m.id
            ), feed AS (
                INSERT INTO {s}.job_feed ({PgSchema.FeedColumns}, run_after)
                SELECT id, 0, type_name, display_name, launched_by, from_status, status, version, attempt, at, progress_done, progress_total, warning_count,
                    CASE WHEN status = 8 THEN error_type END, CASE WHEN status = 8 THEN error_message END, CASE WHEN status = 8 THEN error_stack END, instance_id,
                    CASE WHEN status = 1 THEN run_after END
                FROM moved
            )
            SELECT id FROM moved
            """;

        // Reports (and checkpoints) of many running jobs in one statement, one row per job.
        SaveProgress = $"""
            WITH u AS (
                SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::integer[], $6::text[], $7::boolean[], $8::text[], $9::text[])
                    AS u(id, fence, done, total, warnings, steps, has_checkpoint, checkpoint, checkpoint_report)
            ), moved AS (
                UPDATE {s}.jobs j SET
                    progress_done = u.done, progress_total = u.total, warning_count = u.warnings, steps = u.steps,
                    checkpoint = CASE WHEN u.has_checkpoint THEN u.checkpoint ELSE j.checkpoint END,
                    checkpoint_report = CASE WHEN u.has_checkpoint THEN u.checkpoint_report ELSE j.checkpoint_report END,
                    changed_at = {Now.Replace("$NOW", "$10", StringComparison.Ordinal)}
                FROM u
                WHERE j.id = u.id AND j.status IN {Active} AND (u.fence IS NULL OR j.claim_id = u.fence)
                RETURNING {movedFeed.Replace("id,", "j.id,", StringComparison.Ordinal)}, j.changed_at
            ), feed AS (
                {feedInsert}
                SELECT id, 1, type_name, display_name, launched_by, status, status, version, attempt, changed_at, progress_done, progress_total,
                    warning_count, NULL, NULL, NULL, instance_id
                FROM moved
            )
            SELECT id FROM moved
            """;

        UpdateDraft = $"""
            WITH moved AS (
                UPDATE {s}.jobs SET parameters = $1, display_name = $2, version = version + 1, changed_at = {Now.Replace("$NOW", "$5", StringComparison.Ordinal)}
                WHERE id = $3 AND status = 0 AND version = $4
                RETURNING {movedFeed}, changed_at
            ), feed AS (
                {feedInsert}
                SELECT id, 3, type_name, display_name, launched_by, status, status, version, attempt, changed_at, progress_done, progress_total,
                    warning_count, NULL, NULL, NULL, instance_id
                FROM moved
            )
            SELECT count(*) FROM moved
            """;

        Claim = PgClaimStatements.Claim(s, j, lockInScan: true);
        ClaimThinned = PgClaimStatements.Claim(s, j, lockInScan: false);
        Promote = PgClaimStatements.Promote(s);
        NextRunAfter = PgClaimStatements.NextRunAfter(s);

        RenewLeases = $"""
            UPDATE {s}.jobs j SET lease_until = {Now.Replace("$NOW", "$1", StringComparison.Ordinal)} + $2
            FROM unnest($3::uuid[], $4::uuid[]) AS c(id, claim_id)
            WHERE j.id = c.id AND j.claim_id = c.claim_id AND j.status IN {Active}
            RETURNING j.id
            """;

        Reclaim = PgClaimStatements.Reclaim(s, j);
        ReclaimNeeded = PgClaimStatements.ReclaimNeeded(s);

        // Jobs that ended before the bound were created before it: the creation index, oldest first, finds them without an
        // index on ended_at (which every job's final move would have to write).
        Purge = $"""
            WITH gone AS (
                DELETE FROM {s}.jobs WHERE id IN (
                    SELECT id FROM {s}.jobs WHERE created_at < $3 AND status IN {Finished} AND ended_at < $1 ORDER BY created_at, id LIMIT $2)
                RETURNING id
            ), log AS (
                DELETE FROM {s}.job_log WHERE job_id IN (SELECT id FROM gone)
            ), rejects AS (
                DELETE FROM {s}.job_rejects WHERE job_id IN (SELECT id FROM gone)
            ), history AS (
                DELETE FROM {s}.job_history WHERE job_id IN (SELECT id FROM gone)
            )
            SELECT count(*) FROM gone
            """;

        // Entries whose claim is not the job's current one are left out and take no number; the others are numbered on
        // from each job's last stored number, in the order given.
        AppendJournal = $"""
            WITH entries AS (
                SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::smallint[], $4::timestamptz[], $5::smallint[], $6::text[], $7::bigint[], $8::text[], $9::integer[])
                    WITH ORDINALITY AS e(job_id, claim_id, kind, at, level, text, record_number, reason, op, ord)
            ), kept AS (
                SELECT e.*, row_number() OVER (PARTITION BY e.job_id, e.kind ORDER BY e.ord) AS n FROM entries e
                WHERE e.claim_id IS NULL OR EXISTS (SELECT 1 FROM {s}.jobs j WHERE j.id = e.job_id AND j.claim_id = e.claim_id)
            ), logged AS (
                INSERT INTO {s}.job_log (job_id, seq, at, level, message)
                SELECT k.job_id, COALESCE((SELECT max(l.seq) FROM {s}.job_log l WHERE l.job_id = k.job_id), 0) + k.n, k.at, k.level, k.text
                FROM kept k WHERE k.kind = 0
            ), rejected AS (
                INSERT INTO {s}.job_rejects (job_id, seq, at, record_number, raw_record, reason)
                SELECT k.job_id, COALESCE((SELECT max(r.seq) FROM {s}.job_rejects r WHERE r.job_id = k.job_id), 0) + k.n, k.at, k.record_number, k.text, k.reason
                FROM kept k WHERE k.kind = 1
            ), historied AS (
                INSERT INTO {s}.job_history (job_id, seq, at, details)
                SELECT k.job_id, COALESCE((SELECT max(h.seq) FROM {s}.job_history h WHERE h.job_id = k.job_id), 0) + k.n, k.at, k.text
                FROM kept k WHERE k.kind = 2
            )
            SELECT op, count(*) FROM kept GROUP BY op
            """;

        // Transaction-level locks, one per job (its id hashed, under the schema's own class), in one order for everyone.
        LockJournals = $"SELECT count(pg_advisory_xact_lock({key}, hashtext(j::text))) FROM (SELECT DISTINCT j FROM unnest($1::uuid[]) AS u(j) ORDER BY j) d";

        Get = $"SELECT {PgSchema.JobColumns} FROM {s}.jobs WHERE id = $1";
        Exists = $"SELECT count(*) FROM {s}.jobs WHERE id = $1";
        // Numbered changes only; pending: whether committed changes wait for their numbers (their writer may have died
        // between its commit and the numbering), so a reader can number them.
        ReadFeed = $"""
            SELECT b.first_seq, b.latest_seq, b.pending, f.seq, {PgSchema.FeedReadColumns.Replace("job_id", "f.job_id", StringComparison.Ordinal)}
            FROM (SELECT (SELECT min(seq) FROM {s}.job_feed) AS first_seq, (SELECT max(seq) FROM {s}.job_feed) AS latest_seq,
                EXISTS (SELECT 1 FROM {s}.job_feed WHERE seq IS NULL) AS pending) b
            LEFT JOIN LATERAL (SELECT * FROM {s}.job_feed WHERE seq > $1 ORDER BY seq LIMIT $2) f ON true
            ORDER BY f.seq
            """;
        ReadLog = $"SELECT seq, at, level, message FROM {s}.job_log WHERE job_id = $1 AND seq > $2 AND level >= $3 ORDER BY seq LIMIT $4";
        ReadRejects = $"SELECT seq, at, record_number, raw_record, reason FROM {s}.job_rejects WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
        ReadHistory = $"SELECT seq, at, details FROM {s}.job_history WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
        Count = $"SELECT type_name, status, sum(count)::bigint FROM {s}.job_counts GROUP BY type_name, status HAVING sum(count) > 0";
        Jobs = $"{s}.jobs";
    }

    public string Schema { get; }

    /// <summary>Gets the LISTEN/NOTIFY channel of the schema's change feed.</summary>
    public string Channel { get; }

    public string Create { get; }

    public string CreateEach { get; }

    public string ReleaseKeysEach { get; }

    public string ReleaseKeysAll { get; }

    public string KeyHolders { get; }

    public string Transition { get; }

    public string SaveProgress { get; }

    public string UpdateDraft { get; }

    public string Claim { get; }

    public string ClaimThinned { get; }

    public string Promote { get; }

    public string NextRunAfter { get; }

    public string RenewLeases { get; }

    public string Reclaim { get; }

    public string ReclaimNeeded { get; }

    public string Purge { get; }

    public string AppendJournal { get; }

    public string LockJournals { get; }

    public string Get { get; }

    public string Exists { get; }

    public string ReadFeed { get; }

    public string ReadLog { get; }

    public string ReadRejects { get; }

    public string ReadHistory { get; }

    public string Count { get; }

    /// <summary>Gets the qualified name of the jobs table, for the listing's SQL.</summary>
    public string Jobs { get; }

    /// <summary>The batch's first statement: the transaction's settings, the queue lock as the batch's writes need it, and, for a batch with a claim limited across the cluster, the claim lock.</summary>
    public NpgsqlBatchCommand Begin(PgQueueLock queueLock, bool claimLock) => new(_begin[((int)queueLock * 2) + (claimLock ? 1 : 0)]);

    public NpgsqlBatchCommand TrimFeed(long retention) => new(_trimFeed) { Parameters = { PgRows.Long(retention) } };

    public NpgsqlBatchCommand FoldCounts() => new(_foldCounts);

    /// <summary>The batch's last statement: whether the batch stored changes, which then wait for their numbers.</summary>
    public NpgsqlBatchCommand Pending() => new(_pending);

    /// <summary>The numbering step's two statements (its lock, then the numbering): the newest number, and the doorbell (delivered at commit) when it numbered anything.</summary>
    public void AddNumbering(NpgsqlBatch batch, string token)
    {
        batch.BatchCommands.Add(new NpgsqlBatchCommand(_lockNumbering));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(_number) { Parameters = { PgRows.Param(Channel, NpgsqlTypes.NpgsqlDbType.Text), PgRows.Param(token, NpgsqlTypes.NpgsqlDbType.Text) } });
    }
}
