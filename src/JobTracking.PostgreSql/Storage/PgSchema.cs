using System.Globalization;
using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>The tables of a job store schema, created on first use and migrated one version at a time under an advisory lock.</summary>
/// <remarks>
/// Text columns hold <see cref="PgText"/>-escaped text. A migration appends to <see cref="Migrations"/>; a shipped one
/// never changes. Ten instances starting at once take the lock in turn: the first migrates, the others find the
/// schema current.
/// </remarks>
internal static class PgSchema
{
    /// <summary>The first key of the feed's numbering lock ("JobT"); the second is the schema's hash.</summary>
    public const int LockClass = 0x4A6F6254;

    /// <summary>The first key of the migration lock ("JobM").</summary>
    public const int MigrationLockClass = 0x4A6F624D;

    /// <summary>The first key of the queue lock ("JobQ"), shared by claims and exclusive for a reclaim that queues jobs again; the second is the schema's hash.</summary>
    public const int QueueLockClass = 0x4A6F6251;

    /// <summary>The first key of the claim lock ("JobC"), taken by claims limited by the cluster's type limits; the second is the schema's hash.</summary>
    public const int ClaimLockClass = 0x4A6F6243;

    /// <summary>The columns of a <see cref="JobRecord"/>, in the order <see cref="PgRows.ReadJob"/> reads them.</summary>
    public const string JobColumns =
        "id, type_name, display_name, status, version, parameters, launched_by, priority, concurrency_key, created_at, " +
        "started_at, ended_at, attempt, node, progress_done, progress_total, checkpoint, error_type, error_message, error_stack, " +
        "warning_count, steps, instance_id, claim_id, lease_until, checkpoint_report, previous_attempts, run_after, idempotency_key, idempotent_until, timeout";

    /// <summary>The columns of a change feed row after its sequence number, in the order <see cref="PgRows.ReadChange"/> reads them.</summary>
    public const string FeedColumns =
        "job_id, kind, type_name, display_name, launched_by, previous_status, status, version, attempt, at, progress_done, progress_total, " +
        "warning_count, error_type, error_message, error_stack, instance_id";

    /// <summary>The columns of a change feed row as <see cref="PgRows.ReadChange"/> reads them after its sequence number: <see cref="FeedColumns"/>, then the job's run-after time.</summary>
    public const string FeedReadColumns = FeedColumns + ", run_after";

    /// <summary>
    /// Version 1. jobs: one row per job; the queue is the partial index on queued rows (priority, then queue_seq from a
    /// sequence, so the order holds across instances), and finished rows never enter it, so claims stay fast however many
    /// pile up. job_feed: every change, numbered from a sequence by writers that held the store's write lock, so numbers
    /// were in commit order (version 2 orders it by transaction instead). Times are timestamptz (microseconds), except created_at: UTC ticks (100 ns), because it is the
    /// listing's sort key and page tokens carry it exactly. job_counts: jobs per type and status, kept by statement triggers. job_log and job_rejects: the
    /// journals, numbered per job.
    /// </summary>
    private const string Version1 = """
        CREATE SEQUENCE {s}.queue_order;
        CREATE SEQUENCE {s}.feed_seq;
        CREATE TABLE {s}.jobs (
            id                uuid        NOT NULL PRIMARY KEY,
            type_name         text        NOT NULL,
            display_name      text        NOT NULL,
            status            smallint    NOT NULL,
            version           bigint      NOT NULL,
            parameters        text        NOT NULL,
            launched_by       text,
            priority          integer     NOT NULL,
            concurrency_key   text,
            created_at        bigint      NOT NULL,
            started_at        timestamptz,
            ended_at          timestamptz,
            attempt           integer     NOT NULL,
            node              text,
            progress_done     bigint      NOT NULL,
            progress_total    bigint,
            checkpoint        text,
            error_type        text,
            error_message     text,
            error_stack       text,
            warning_count     integer     NOT NULL,
            steps             text,
            instance_id       text,
            claim_id          uuid,
            lease_until       timestamptz,
            checkpoint_report text,
            previous_attempts jsonb,
            queue_seq         bigint,
            changed_at        timestamptz
        ) WITH (fillfactor = 80);
        CREATE INDEX ix_jobs_created ON {s}.jobs (created_at, id);
        CREATE INDEX ix_jobs_status_created ON {s}.jobs (status, created_at, id);
        CREATE INDEX ix_jobs_type_created ON {s}.jobs (type_name, created_at, id);
        CREATE INDEX ix_jobs_launched_by_created ON {s}.jobs (launched_by, created_at, id);
        CREATE INDEX ix_jobs_queue ON {s}.jobs (priority DESC, queue_seq) WHERE status = 1;
        CREATE INDEX ix_jobs_active ON {s}.jobs (lease_until) WHERE status IN (2, 3, 5, 9);
        CREATE INDEX ix_jobs_ended ON {s}.jobs (ended_at) WHERE status IN (6, 7, 8);
        CREATE TABLE {s}.job_log (
            job_id  uuid        NOT NULL,
            seq     bigint      NOT NULL,
            at      timestamptz NOT NULL,
            level   smallint    NOT NULL,
            message text        NOT NULL,
            PRIMARY KEY (job_id, seq)
        );
        CREATE TABLE {s}.job_rejects (
            job_id        uuid        NOT NULL,
            seq           bigint      NOT NULL,
            at            timestamptz NOT NULL,
            record_number bigint      NOT NULL,
            raw_record    text        NOT NULL,
            reason        text        NOT NULL,
            PRIMARY KEY (job_id, seq)
        );
        CREATE TABLE {s}.job_feed (
            seq             bigint      NOT NULL PRIMARY KEY DEFAULT nextval('{s}.feed_seq'),
            job_id          uuid        NOT NULL,
            kind            smallint    NOT NULL,
            type_name       text        NOT NULL,
            display_name    text        NOT NULL,
            launched_by     text,
            previous_status smallint    NOT NULL,
            status          smallint    NOT NULL,
            version         bigint      NOT NULL,
            attempt         integer     NOT NULL,
            at              timestamptz NOT NULL,
            progress_done   bigint      NOT NULL,
            progress_total  bigint,
            warning_count   integer     NOT NULL,
            error_type      text,
            error_message   text,
            error_stack     text,
            instance_id     text
        );
        CREATE TABLE {s}.job_counts (
            type_name text   NOT NULL,
            status    smallint NOT NULL,
            count     bigint NOT NULL,
            PRIMARY KEY (type_name, status)
        );
        CREATE FUNCTION {s}.count_jobs() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO {s}.job_counts AS c (type_name, status, count)
                    SELECT type_name, status, count(*) FROM new_rows GROUP BY type_name, status ORDER BY type_name, status
                    ON CONFLICT (type_name, status) DO UPDATE SET count = c.count + excluded.count;
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO {s}.job_counts AS c (type_name, status, count)
                    SELECT type_name, status, -count(*) FROM old_rows GROUP BY type_name, status ORDER BY type_name, status
                    ON CONFLICT (type_name, status) DO UPDATE SET count = c.count + excluded.count;
            ELSE
                INSERT INTO {s}.job_counts AS c (type_name, status, count)
                    SELECT type_name, status, sum(d) FROM (
                        SELECT type_name, status, -1 AS d FROM old_rows UNION ALL SELECT type_name, status, 1 FROM new_rows) AS moves
                    GROUP BY type_name, status HAVING sum(d) <> 0 ORDER BY type_name, status
                    ON CONFLICT (type_name, status) DO UPDATE SET count = c.count + excluded.count;
            END IF;
            RETURN NULL;
        END
        $f$;
        CREATE TRIGGER tr_jobs_counted_insert AFTER INSERT ON {s}.jobs REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.count_jobs();
        CREATE TRIGGER tr_jobs_counted_update AFTER UPDATE ON {s}.jobs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.count_jobs();
        CREATE TRIGGER tr_jobs_counted_delete AFTER DELETE ON {s}.jobs REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.count_jobs();
        """;

    /// <summary>
    /// Version 2: commits that overlap. Writers no longer hold a lock through their commits, so a number taken while a
    /// transaction runs would not be in commit order. A feed row is stored unnumbered (<c>seq</c> NULL, <c>rid</c> from a
    /// sequence: the order of its insert); once its transaction has committed, a numbering step (<see cref="PgStatements.AddNumbering"/>)
    /// gives every committed unnumbered row the next numbers, in <c>rid</c> order, in a short transaction of its own under
    /// the numbering lock, which no other write takes. Numbers therefore appear in increasing order, and a change made
    /// after another was seen gets a larger number. The rows the version 1 feed holds keep their numbers. job_feed_state:
    /// the server start the numbering last saw (numbers jump after a restart, see <see cref="PgStatements"/>).
    /// job_counts holds deltas appended by the triggers, summed by readers and folded together now and then by the writers,
    /// so no two write transactions wait on the same counts row through their commits. job_key_holds: one row per
    /// concurrency key an active job holds, inserted by the claim that takes the key (ON CONFLICT DO NOTHING: a second claim
    /// of the key waits for the first to commit and then takes nothing) and deleted by the move that leaves the active
    /// statuses; it keeps concurrency keys across the cluster without a lock. Fewer indexes a status change rewrites: the
    /// active jobs' index is keyed on the id, not the lease, so a lease renewal is a HOT update (no index touched), and
    /// ix_jobs_ended is gone (a purge walks the creation index from the oldest), so a job's final move writes one index
    /// entry less.
    /// </summary>
    private const string Version2 = """
        CREATE SEQUENCE {s}.feed_rid;
        ALTER TABLE {s}.job_feed DROP CONSTRAINT job_feed_pkey;
        ALTER TABLE {s}.job_feed ALTER COLUMN seq DROP DEFAULT, ALTER COLUMN seq DROP NOT NULL;
        DROP SEQUENCE {s}.feed_seq;
        SELECT setval('{s}.feed_rid', COALESCE((SELECT max(seq) FROM {s}.job_feed), 0) + 1, false);
        ALTER TABLE {s}.job_feed ADD COLUMN rid bigint;
        ALTER TABLE {s}.job_feed ALTER COLUMN rid SET DEFAULT nextval('{s}.feed_rid');
        CREATE UNIQUE INDEX ix_job_feed_seq ON {s}.job_feed (seq);
        CREATE TABLE {s}.job_feed_state (started timestamptz);
        INSERT INTO {s}.job_feed_state (started) VALUES (NULL);
        CREATE INDEX ix_job_feed_unnumbered ON {s}.job_feed (rid) WHERE seq IS NULL;
        ALTER TABLE {s}.job_counts DROP CONSTRAINT job_counts_pkey;
        DROP INDEX {s}.ix_jobs_ended;
        DROP INDEX {s}.ix_jobs_active;
        CREATE INDEX ix_jobs_active ON {s}.jobs (id) WHERE status IN (2, 3, 5, 9);
        CREATE OR REPLACE FUNCTION {s}.count_jobs() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO {s}.job_counts (type_name, status, count)
                    SELECT type_name, status, count(*) FROM new_rows GROUP BY type_name, status;
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO {s}.job_counts (type_name, status, count)
                    SELECT type_name, status, -count(*) FROM old_rows GROUP BY type_name, status;
            ELSE
                INSERT INTO {s}.job_counts (type_name, status, count)
                    SELECT type_name, status, sum(d) FROM (
                        SELECT type_name, status, -1 AS d FROM old_rows UNION ALL SELECT type_name, status, 1 FROM new_rows) AS moves
                    GROUP BY type_name, status HAVING sum(d) <> 0;
            END IF;
            RETURN NULL;
        END
        $f$;
        CREATE TABLE {s}.job_key_holds (
            concurrency_key text NOT NULL PRIMARY KEY,
            job_id          uuid NOT NULL
        );
        INSERT INTO {s}.job_key_holds (concurrency_key, job_id)
            SELECT DISTINCT ON (concurrency_key) concurrency_key, id FROM {s}.jobs
            WHERE status IN (2, 3, 5, 9) AND concurrency_key IS NOT NULL ORDER BY concurrency_key, changed_at;
        """;

    /// <summary>
    /// Version 3: time and repetition. jobs gains run_after (a queued job is not claimed before it), idempotency_key and
    /// idempotent_until (a start with a held key returns the holder), and timeout (TimeSpan ticks, exact); job_feed gains
    /// run_after (set on a creation and a move to Queued). A queued job waiting for its time has no queue_seq: it is in
    /// ix_jobs_waiting (run_after, id), not in the queue's index, so claims never read the jobs that wait, however many.
    /// promote_due gives the due ones (oldest time first, a bounded number; first any queued row with neither a place nor
    /// a time, which only an edit by hand makes) their queue_seq, so they enter the queue behind the jobs ready before
    /// them; every claim calls it first, and it reads two index entries when nothing is due.
    /// ix_jobs_idempotency_key is unique, so of racing creates with one key exactly one is stored, in any process.
    /// job_schedules: the recurring schedules, each changed by compare-and-set on its version. ix_jobs_queued_key: the
    /// queued jobs of each concurrency key in queue order, so a claim takes a key only for the first queued job of it.
    /// </summary>
    private const string Version3 = """
        ALTER TABLE {s}.jobs ADD COLUMN run_after timestamptz, ADD COLUMN idempotency_key text, ADD COLUMN idempotent_until timestamptz,
            ADD COLUMN timeout bigint;
        ALTER TABLE {s}.job_feed ADD COLUMN run_after timestamptz;
        DROP INDEX {s}.ix_jobs_queue;
        CREATE INDEX ix_jobs_queue ON {s}.jobs (priority DESC, queue_seq) WHERE status = 1 AND queue_seq IS NOT NULL;
        CREATE INDEX ix_jobs_waiting ON {s}.jobs (run_after, id) WHERE status = 1 AND queue_seq IS NULL;
        CREATE UNIQUE INDEX ix_jobs_idempotency_key ON {s}.jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX ix_jobs_queued_key ON {s}.jobs (concurrency_key, priority DESC, queue_seq) WHERE status = 1 AND queue_seq IS NOT NULL AND concurrency_key IS NOT NULL;
        CREATE FUNCTION {s}.promote_due(at timestamptz, max_count integer) RETURNS integer LANGUAGE plpgsql AS $f$
        DECLARE
            promoted integer := 0;
            more integer;
        BEGIN
            -- The checks take no parameter, so the plans PL/pgSQL caches read the first entries of the waiting index whatever
            -- the time (a generic plan of "run_after <= at" guesses a third of the rows match, and scans the table when none
            -- does); the promotions, run only when something is due, are planned for their values each time (EXECUTE).
            -- First, queued rows without a place or a time: queued by hand (a status edit), ready at once.
            IF EXISTS (SELECT 1 FROM {s}.jobs WHERE status = 1 AND queue_seq IS NULL AND run_after IS NULL) THEN
                EXECUTE $q$
                    WITH due AS (
                        SELECT id FROM {s}.jobs WHERE status = 1 AND queue_seq IS NULL AND run_after IS NULL
                        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
                    ), numbered AS (
                        SELECT id, nextval('{s}.queue_order') AS seq FROM due
                    )
                    UPDATE {s}.jobs j SET queue_seq = n.seq FROM numbered n WHERE j.id = n.id
                    $q$ USING max_count;
                GET DIAGNOSTICS promoted = ROW_COUNT;
            END IF;
            IF (SELECT min(run_after) FROM {s}.jobs WHERE status = 1 AND queue_seq IS NULL) <= at THEN
                EXECUTE $q$
                    WITH due AS (
                        SELECT id FROM {s}.jobs WHERE status = 1 AND queue_seq IS NULL AND run_after <= $1
                        ORDER BY run_after, id LIMIT $2 FOR UPDATE SKIP LOCKED
                    ), numbered AS (
                        SELECT id, nextval('{s}.queue_order') AS seq FROM due
                    )
                    UPDATE {s}.jobs j SET queue_seq = n.seq FROM numbered n WHERE j.id = n.id
                    $q$ USING at, max_count;
                GET DIAGNOSTICS more = ROW_COUNT;
                promoted := promoted + more;
            END IF;
            RETURN promoted;
        END
        $f$;
        CREATE TABLE {s}.job_schedules (
            id              text        COLLATE "C" NOT NULL PRIMARY KEY,
            version         bigint      NOT NULL,
            type_name       text        NOT NULL,
            parameters      text        NOT NULL,
            cron            text        NOT NULL,
            time_zone       text        NOT NULL,
            display_name    text,
            priority        integer     NOT NULL,
            concurrency_key text,
            misfire         smallint    NOT NULL,
            overlap         smallint    NOT NULL,
            is_paused       boolean     NOT NULL,
            created_at      timestamptz NOT NULL,
            updated_at      timestamptz NOT NULL,
            last_occurrence timestamptz,
            last_job_id     uuid,
            next_occurrence timestamptz
        );
        """;

    /// <summary>
    /// Version 4: each job's history (commands with who issued them and why, reclaims, retries), numbered per job like the
    /// log under the same per-job lock, its details a JSON text the engine writes (PgText-escaped, so NUL round-trips);
    /// purged with the job. A schema of version 3 gets an empty table.
    /// </summary>
    private const string Version4 = """
        CREATE TABLE {s}.job_history (
            job_id  uuid        NOT NULL,
            seq     bigint      NOT NULL,
            at      timestamptz NOT NULL,
            details text        NOT NULL,
            PRIMARY KEY (job_id, seq)
        );
        """;

    /// <summary>
    /// Version 5: the instances sharing the schema (one row per instance id: its node name, library version, workers, the
    /// jobs it ran at its last heartbeat, and the database's times of its first and last heartbeats), each heartbeat an
    /// upsert. A schema of version 4 gets an empty table, filled by the next heartbeat of each live instance.
    /// </summary>
    private const string Version5 = """
        CREATE TABLE {s}.job_instances (
            instance_id     text        NOT NULL PRIMARY KEY,
            node            text        NOT NULL,
            version         text        NOT NULL,
            max_concurrency integer     NOT NULL,
            running_jobs    integer     NOT NULL,
            started_at      timestamptz NOT NULL,
            heartbeat_at    timestamptz NOT NULL
        );
        """;

    /// <summary>Each entry brings a schema from the version before it to its version.</summary>
    private static readonly (int Version, string Sql)[] Migrations = [(1, Version1), (2, Version2), (3, Version3), (4, Version4), (5, Version5)];

    /// <summary>Gets the schema version this package writes.</summary>
    public static int CurrentVersion => Migrations[^1].Version;

    /// <summary>The schema's half of the advisory lock keys: a stable hash of its name (FNV-1a).</summary>
    public static int LockKey(string schema)
    {
        var hash = 2166136261u;
        foreach (var c in schema)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return unchecked((int)hash);
    }

    /// <summary>Creates the schema and its tables, or brings an older version up to date, once, whoever else starts at the same time.</summary>
    /// <returns>The version the schema had (0 when it was new).</returns>
    /// <exception cref="JobTrackingException">The schema was written by a newer version, or holds a jobs table JobTracking did not create.</exception>
    public static Task<int> EnsureCreatedAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken) =>
        EnsureCreatedAsync(dataSource, schema, CurrentVersion, cancellationToken);

    /// <summary>Creates the schema, or brings it up to date, as far as <paramref name="targetVersion"/> (an older one for the migration tests).</summary>
    /// <returns>The version the schema had (0 when it was new).</returns>
    public static async Task<int> EnsureCreatedAsync(NpgsqlDataSource dataSource, string schema, int targetVersion, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // A transaction-level lock: released by the commit or the rollback, so it also works through PgBouncer's transaction pooling.
        var key = LockKey(schema).ToString(CultureInfo.InvariantCulture);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLockClass}, {key})", cancellationToken).ConfigureAwait(false);
        var found = await ReadVersionAsync(connection, transaction, schema, cancellationToken).ConfigureAwait(false);
        if (found > CurrentVersion)
        {
            throw new JobTrackingException(
                $"The PostgreSQL schema \"{schema}\" was written by a newer JobTracking.PostgreSql (schema version {found}); this one knows schema versions up to {CurrentVersion}. " +
                "Upgrade the JobTracking.PostgreSql package on every instance, or point this one at another schema.");
        }

        if (found >= targetVersion)
        {
            return found;
        }

        await ExecuteAsync(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS {Quote(schema)}", cancellationToken).ConfigureAwait(false);
        foreach (var (version, sql) in Migrations)
        {
            if (version > found && version <= targetVersion)
            {
                await ExecuteAsync(connection, transaction, sql.Replace("{s}", Quote(schema), StringComparison.Ordinal), cancellationToken).ConfigureAwait(false);
            }
        }

        var current = targetVersion.ToString(CultureInfo.InvariantCulture);
        await ExecuteAsync(connection, transaction, found == 0
            ? $"CREATE TABLE {Quote(schema)}.schema_version (version integer NOT NULL); INSERT INTO {Quote(schema)}.schema_version (version) VALUES ({current})"
            : $"UPDATE {Quote(schema)}.schema_version SET version = {current}", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return found;
    }

    /// <summary>The schema name as a quoted identifier; the options allow only lower-case letters, digits and underscores.</summary>
    public static string Quote(string schema) => "\"" + schema + "\"";

    private static async Task<int> ReadVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'schema_version'), " +
            "(SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'jobs')", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        long hasVersion, hasJobs;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            hasVersion = reader.GetInt64(0);
            hasJobs = reader.GetInt64(1);
        }

        if (hasVersion == 0)
        {
            return hasJobs == 0
                ? 0
                : throw new JobTrackingException(
                    $"The PostgreSQL schema \"{schema}\" has a 'jobs' table that JobTracking did not create (no schema_version table). Give the store a schema of its own (PostgreSqlJobStoreOptions.Schema).");
        }

        await using var read = new NpgsqlCommand($"SELECT max(version) FROM {Quote(schema)}.schema_version", connection, transaction);
        return await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int version
            ? version
            : throw new JobTrackingException($"The PostgreSQL schema \"{schema}\" has an empty schema_version table; it was not written by JobTracking.PostgreSql or is damaged.");
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
