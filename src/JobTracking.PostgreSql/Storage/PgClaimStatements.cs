namespace JobTracking.PostgreSql.Storage;

/// <summary>
/// The SQL that hands jobs out and takes them back, for <see cref="PgStatements"/>: the claim (two forms), the promotion
/// of waiting jobs that came due, the next due time, and the reclaim of jobs whose owner is gone. <c>s</c> is the quoted
/// schema, <c>j</c> the job columns qualified by <c>j.</c>.
/// </summary>
internal static class PgClaimStatements
{
    private const string Active = PgStatements.Active;

    private const string Now = PgStatements.Now;

    // Ready jobs, highest priority then queue order, locked (SKIP LOCKED passes over rows another transaction
    // holds), thinned to the instance's type limits, the cluster's type limits (what is left of each
    // once the active jobs of the type are counted) and one job per concurrency key, then moved to Running. A job
    // whose key another job holds (job_key_holds: an active job, or one queued again by a reclaim) is passed over by
    // one lookup of the key, however many keyed jobs are active.
    //
    // A claim's changes take their insert order (rid, which orders the feed) from the moment each job is reached,
    // just before the attempt to lock it (the value is computed below the locking step): a claim that passes over a
    // job another claim has locked reaches it later, so claims racing down the queue are numbered in queue order.
    //
    // Without type limits a claim locks exactly the ready jobs it reads (as many as it asks for), so claims racing
    // each other take the next ones rather than finding them all locked by the first. With type limits it reads
    // further than it takes, so it locks only what it picked (a racing claim that picked the same job takes fewer).
    public static string Claim(string s, string j, bool lockInScan) => $"""
        WITH candidates AS (
            SELECT id, type_name, concurrency_key, priority, queue_seq, {(lockInScan ? $"nextval('{s}.feed_rid')" : "NULL::bigint")} AS rid FROM {s}.jobs q
            WHERE status = 1 AND queue_seq IS NOT NULL AND type_name <> ALL($1::text[])
                AND (concurrency_key IS NULL OR NOT EXISTS (
                    SELECT 1 FROM {s}.job_key_holds h WHERE h.concurrency_key = q.concurrency_key AND h.job_id <> q.id))
            ORDER BY priority DESC, queue_seq
            LIMIT $2
            {(lockInScan ? "FOR UPDATE SKIP LOCKED" : "")}
        ), {(lockInScan ? Unthinned : Thinned(s))}
        ), locked AS (
            {(lockInScan ? "SELECT * FROM picked" : $"SELECT p.id, p.priority, p.queue_seq, p.concurrency_key, nextval('{s}.feed_rid') AS rid FROM picked p JOIN {s}.jobs j ON j.id = p.id WHERE j.status = 1 FOR UPDATE OF j SKIP LOCKED")}
        ), keyed AS (
            -- A key goes only to the first queued job of it: a claim whose scan passed over an earlier job of the key
            -- (locked by another claim, which may yet fail) must not take the key for a later one.
            INSERT INTO {s}.job_key_holds (concurrency_key, job_id)
            SELECT l.concurrency_key, l.id FROM locked l
            WHERE l.concurrency_key IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM {s}.jobs q
                WHERE q.status = 1 AND q.queue_seq IS NOT NULL AND q.concurrency_key = l.concurrency_key
                    AND (q.priority > l.priority OR (q.priority = l.priority AND q.queue_seq < l.queue_seq)))
            ORDER BY l.concurrency_key
            ON CONFLICT (concurrency_key) DO UPDATE SET job_id = EXCLUDED.job_id WHERE {s}.job_key_holds.job_id = EXCLUDED.job_id
            RETURNING job_id
        ), moved AS (
            UPDATE {s}.jobs j SET status = 2, version = j.version + 1, changed_at = $6, started_at = COALESCE(j.started_at, $6), node = $7,
                instance_id = $8, claim_id = gen_random_uuid(), lease_until = {Now.Replace("$NOW", "$9", StringComparison.Ordinal)} + $10
            FROM locked p WHERE j.id = p.id AND j.status = 1 AND (p.concurrency_key IS NULL OR p.id IN (SELECT job_id FROM keyed))
            RETURNING {j}, p.priority AS pick_priority, p.queue_seq AS pick_seq, p.rid AS pick_rid
        ), feed AS (
            INSERT INTO {s}.job_feed ({PgSchema.FeedColumns}, rid)
            SELECT id, 0, type_name, display_name, launched_by, 1, status, version, attempt, $6, progress_done, progress_total, warning_count,
                NULL, NULL, NULL, instance_id, pick_rid
            FROM moved ORDER BY pick_priority DESC, pick_seq
        )
        SELECT {PgSchema.JobColumns} FROM moved ORDER BY pick_priority DESC, pick_seq
        """;

    // The jobs a claim without type limits takes: the first of each concurrency key among those it locked. Its type-limit
    // parameters ($3, $4, $11, $12) are empty and unused (joining their empty lists took 2.2 ms of a 7.8 ms claim of 100 jobs
    // in one measured plan; the claim's time per job fell from 48 to 45 us).
    private const string Unthinned = """
        ranked AS (
            SELECT c.*, row_number() OVER (PARTITION BY c.concurrency_key ORDER BY c.priority DESC, c.queue_seq) AS key_rank
            FROM candidates c
        ), picked AS (
            SELECT r.id, r.priority, r.queue_seq, r.concurrency_key, r.rid FROM ranked r
            WHERE r.concurrency_key IS NULL OR r.key_rank = 1
            ORDER BY r.priority DESC, r.queue_seq
            LIMIT $5
        """;

    // The jobs a claim with type limits takes: within the instance's limits ($3, $4) and what the cluster's ($11, $12) leave
    // once the type's active jobs are counted, and the first of each concurrency key.
    private static string Thinned(string s) => $"""
        ranked AS (
            SELECT c.*, row_number() OVER (PARTITION BY c.type_name ORDER BY c.priority DESC, c.queue_seq) AS type_rank,
                row_number() OVER (PARTITION BY c.concurrency_key ORDER BY c.priority DESC, c.queue_seq) AS key_rank
            FROM candidates c
        ), cluster_limits AS MATERIALIZED (
            SELECT c.type_name, c.max_count - (SELECT count(*) FROM {s}.jobs a WHERE a.status IN {Active} AND a.type_name = c.type_name) AS free
            FROM unnest($11::text[], $12::integer[]) AS c(type_name, max_count)
        ), picked AS (
            SELECT r.id, r.priority, r.queue_seq, r.concurrency_key, r.rid FROM ranked r
                LEFT JOIN unnest($3::text[], $4::integer[]) AS l(type_name, max_count) ON l.type_name = r.type_name
                LEFT JOIN cluster_limits c ON c.type_name = r.type_name
            WHERE (r.concurrency_key IS NULL OR r.key_rank = 1) AND (l.max_count IS NULL OR r.type_rank <= l.max_count)
                AND (c.free IS NULL OR r.type_rank <= c.free)
            ORDER BY r.priority DESC, r.queue_seq
            LIMIT $5
        """;

    // Before a claim, in the same transaction: the waiting jobs whose time has come enter the queue (see PgSchema's version 3).
    public static string Promote(string s) => $"SELECT {s}.promote_due({Now.Replace("$NOW", "$1", StringComparison.Ordinal)}, $2)";

    // The next waiting job's time, from the waiting jobs' index (the due ones not yet promoted are not waiting for later).
    public static string NextRunAfter(string s) => $"SELECT min(run_after) FROM {s}.jobs WHERE status = 1 AND queue_seq IS NULL AND run_after > {Now.Replace("$NOW", "$1", StringComparison.Ordinal)}";

    // Whether a reclaim would find anything (the same rows as the reclaim's own selection, without locking them): an idle
    // heartbeat sends this one read instead of the reclaim's batch of three statements.
    public static string ReclaimNeeded(string s) => $"""
        SELECT EXISTS (SELECT 1 FROM {s}.jobs WHERE status IN {Active} AND (lease_until IS NULL OR lease_until <= {Now.Replace("$NOW", "$1", StringComparison.Ordinal)}))
            OR ($2 AND EXISTS (SELECT 1 FROM {s}.jobs WHERE status = 10))
        """;

    // Active jobs whose owner is gone (by the active jobs' index) and, when $6 asks to resume, Interrupted ones (by the
    // status index), moved in one statement: Cancelling to Cancelled, Pausing to Paused, the others to Interrupted, or
    // on to Queued with their queue_seq kept, so they go back to their place and take their concurrency key with
    // them: a job queued again keeps its row in job_key_holds, so a claim that skips it (locked by another claim)
    // and reaches the next job of its key cannot take the key; the claim that reaches the job itself takes the
    // hold back (ON CONFLICT ... WHERE the hold is the job's own). A job taken from Running or ShuttingDown and
    // queued again records two changes, Interrupted then Queued, with the version raised by two.
    public static string Reclaim(string s, string j) => $"""
        WITH orphans AS (
            SELECT id, status AS old_status, instance_id AS old_instance FROM {s}.jobs
            WHERE status IN {Active} AND (lease_until IS NULL OR lease_until <= {Now.Replace("$NOW", "$1", StringComparison.Ordinal)}
                OR ($2 AND (instance_id IS NULL OR instance_id <> $3)))
            LIMIT $4
            FOR UPDATE SKIP LOCKED
        ), stranded AS (
            SELECT id, status AS old_status, NULL::text AS old_instance FROM {s}.jobs
            WHERE $6 AND status = 10
            LIMIT $4
            FOR UPDATE SKIP LOCKED
        ), targets AS (
            SELECT * FROM (SELECT * FROM orphans UNION ALL SELECT * FROM stranded) t LIMIT $4
        ), moved AS (
            UPDATE {s}.jobs j SET
                status = CASE j.status WHEN 5 THEN 6 WHEN 3 THEN 4 ELSE CASE WHEN $6 THEN 1 ELSE 10 END END,
                version = j.version + CASE WHEN $6 AND j.status IN (2, 9) THEN 2 ELSE 1 END,
                changed_at = $5,
                ended_at = CASE WHEN j.status = 5 THEN $5 WHEN j.status = 3 OR NOT $6 THEN j.ended_at END,
                queue_seq = CASE WHEN $6 AND j.status NOT IN (3, 5) THEN COALESCE(j.queue_seq, nextval('{s}.queue_order')) ELSE j.queue_seq END,
                instance_id = NULL, claim_id = NULL, lease_until = NULL
            FROM targets o WHERE j.id = o.id
            RETURNING {j}, o.old_status, o.old_instance
        ), released AS (
            DELETE FROM {s}.job_key_holds h USING moved m WHERE h.concurrency_key = m.concurrency_key AND h.job_id = m.id AND m.status <> 1
        ), feed AS (
            INSERT INTO {s}.job_feed ({PgSchema.FeedColumns}, run_after)
            SELECT m.id, 0, m.type_name, m.display_name, m.launched_by, c.previous_status, c.status, c.version, m.attempt, $5, m.progress_done,
                m.progress_total, m.warning_count, NULL, NULL, NULL, NULL, CASE WHEN c.status = 1 THEN m.run_after END
            FROM moved m CROSS JOIN LATERAL (
                SELECT m.old_status AS previous_status, 10::smallint AS status, m.version - 1 AS version, 0 AS step
                WHERE m.status = 1 AND m.old_status <> 10
                UNION ALL
                SELECT CASE WHEN m.status = 1 THEN 10::smallint ELSE m.old_status END, m.status, m.version, 1
            ) c
            ORDER BY m.id, c.step
        )
        SELECT {PgSchema.JobColumns}, old_status, old_instance FROM moved
        """;
}
