using System.Globalization;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The tables and indexes of a job store file, created on first use and migrated one version at a time.</summary>
/// <remarks>
/// Times are UTC ticks (integers), so they sort and round-trip exactly; ids are 16-byte blobs in big-endian order,
/// so byte order is the order of their text form. A migration appends to <see cref="Migrations"/>; a shipped one
/// never changes.
/// </remarks>
internal static class SqliteSchema
{
    /// <summary>The columns of a <see cref="JobRecord"/>, in the order <see cref="SqliteRows.ReadJob(SqliteDataReader)"/> reads them.</summary>
    public const string JobColumns =
        "id, type_name, display_name, status, version, parameters, launched_by, priority, concurrency_key, created_at, " +
        "started_at, ended_at, attempt, node, progress_done, progress_total, checkpoint, error_type, error_message, error_stack, " +
        "warning_count, steps, instance_id, claim_id, lease_until, checkpoint_report, previous_attempts, " +
        "run_after, idempotency_key, idempotent_until, timeout";

    /// <summary>Version 1: jobs (with the queue order and the indexes of the process tracker's list), log lines and rejects.</summary>
    private const string Version1 = """
        CREATE TABLE jobs (
            id              BLOB    NOT NULL PRIMARY KEY,
            type_name       TEXT    NOT NULL,
            display_name    TEXT    NOT NULL,
            status          INTEGER NOT NULL,
            version         INTEGER NOT NULL,
            parameters      TEXT    NOT NULL,
            launched_by     TEXT,
            priority        INTEGER NOT NULL,
            concurrency_key TEXT,
            created_at      INTEGER NOT NULL,
            started_at      INTEGER,
            ended_at        INTEGER,
            attempt         INTEGER NOT NULL,
            node            TEXT,
            progress_done   INTEGER NOT NULL,
            progress_total  INTEGER,
            checkpoint      TEXT,
            error_type      TEXT,
            error_message   TEXT,
            error_stack     TEXT,
            warning_count   INTEGER NOT NULL,
            steps           TEXT,
            queue_seq       INTEGER
        );
        CREATE INDEX ix_jobs_created ON jobs (created_at, id);
        CREATE INDEX ix_jobs_status_created ON jobs (status, created_at, id);
        CREATE INDEX ix_jobs_type_created ON jobs (type_name, created_at, id);
        CREATE INDEX ix_jobs_launched_by_created ON jobs (launched_by, created_at, id);
        CREATE INDEX ix_jobs_queue ON jobs (priority DESC, queue_seq) WHERE status = 1;
        CREATE INDEX ix_jobs_ended ON jobs (ended_at) WHERE ended_at IS NOT NULL;
        CREATE TABLE job_log (
            job_id  BLOB    NOT NULL,
            seq     INTEGER NOT NULL,
            at      INTEGER NOT NULL,
            level   INTEGER NOT NULL,
            message TEXT    NOT NULL,
            PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE job_rejects (
            job_id        BLOB    NOT NULL,
            seq           INTEGER NOT NULL,
            at            INTEGER NOT NULL,
            record_number INTEGER NOT NULL,
            raw_record    TEXT    NOT NULL,
            reason        TEXT    NOT NULL,
            PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID;
        """;

    /// <summary>
    /// Version 2: who owns an active job (instance, claim, lease end in UTC ticks), the report saved with the checkpoint
    /// (JSON) and the attempts before the current one (a JSON array, NULL until the first restart). Rows of version 1 get
    /// NULLs: an active job without a lease counts as expired, so it is reclaimed; a job restarted under version 1 shows
    /// no attempts before its current one, whose error version 1 did not keep. Also the
    /// number of jobs per type and status, kept by triggers in the same transaction as each change, so counting them
    /// (every heartbeat) reads a few rows instead of every job.
    /// </summary>
    private const string Version2 = """
        ALTER TABLE jobs ADD COLUMN instance_id TEXT;
        ALTER TABLE jobs ADD COLUMN claim_id BLOB;
        ALTER TABLE jobs ADD COLUMN lease_until INTEGER;
        ALTER TABLE jobs ADD COLUMN checkpoint_report TEXT;
        ALTER TABLE jobs ADD COLUMN previous_attempts TEXT;
        CREATE TABLE job_counts (
            type_name TEXT    NOT NULL,
            status    INTEGER NOT NULL,
            count     INTEGER NOT NULL,
            PRIMARY KEY (type_name, status)
        ) WITHOUT ROWID;
        INSERT INTO job_counts (type_name, status, count) SELECT type_name, status, COUNT(*) FROM jobs GROUP BY type_name, status;
        CREATE TRIGGER tr_jobs_counted_insert AFTER INSERT ON jobs BEGIN
            INSERT INTO job_counts (type_name, status, count) VALUES (new.type_name, new.status, 1)
                ON CONFLICT (type_name, status) DO UPDATE SET count = count + 1;
        END;
        CREATE TRIGGER tr_jobs_counted_delete AFTER DELETE ON jobs BEGIN
            UPDATE job_counts SET count = count - 1 WHERE type_name = old.type_name AND status = old.status;
        END;
        CREATE TRIGGER tr_jobs_counted_update AFTER UPDATE OF type_name, status ON jobs
            WHEN old.status IS NOT new.status OR old.type_name IS NOT new.type_name BEGIN
            UPDATE job_counts SET count = count - 1 WHERE type_name = old.type_name AND status = old.status;
            INSERT INTO job_counts (type_name, status, count) VALUES (new.type_name, new.status, 1)
                ON CONFLICT (type_name, status) DO UPDATE SET count = count + 1;
        END;
        """;

    /// <summary>
    /// Version 3: the change feed. Every change of a job (its creation, a move of its version, a stored report) adds a
    /// row to job_feed in the same statement, by trigger, so no write path can forget it and it commits or rolls back
    /// with the change. Sequence numbers come from AUTOINCREMENT (never reused, even after trimming); with one writer
    /// they are also the commit order. The time of a change is the column changed_at, which each write sets.
    /// </summary>
    private const string Version3 = """
        ALTER TABLE jobs ADD COLUMN changed_at INTEGER;
        CREATE TABLE job_feed (
            seq             INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id          BLOB    NOT NULL,
            kind            INTEGER NOT NULL,
            type_name       TEXT    NOT NULL,
            display_name    TEXT    NOT NULL,
            launched_by     TEXT,
            previous_status INTEGER NOT NULL,
            status          INTEGER NOT NULL,
            version         INTEGER NOT NULL,
            attempt         INTEGER NOT NULL,
            at              INTEGER NOT NULL,
            progress_done   INTEGER NOT NULL,
            progress_total  INTEGER,
            warning_count   INTEGER NOT NULL,
            error_type      TEXT,
            error_message   TEXT,
            error_stack     TEXT,
            instance_id     TEXT
        );
        CREATE TRIGGER tr_jobs_feed_created AFTER INSERT ON jobs BEGIN
            INSERT INTO job_feed (COLS)
            VALUES (new.id, 2, new.type_name, new.display_name, new.launched_by, new.status, new.status, new.version, new.attempt,
                COALESCE(new.changed_at, new.created_at), new.progress_done, new.progress_total, new.warning_count, NULL, NULL, NULL, new.instance_id);
        END;
        CREATE TRIGGER tr_jobs_feed_changed AFTER UPDATE OF version ON jobs WHEN new.version IS NOT old.version BEGIN
            INSERT INTO job_feed (COLS)
            VALUES (new.id, CASE WHEN old.status = 0 AND new.status = 0 THEN 3 ELSE 0 END, new.type_name, new.display_name, new.launched_by,
                old.status, new.status, new.version, new.attempt, COALESCE(new.changed_at, 0), new.progress_done, new.progress_total, new.warning_count,
                CASE WHEN new.status = 8 THEN new.error_type END, CASE WHEN new.status = 8 THEN new.error_message END,
                CASE WHEN new.status = 8 THEN new.error_stack END, new.instance_id);
        END;
        CREATE TRIGGER tr_jobs_feed_report AFTER UPDATE OF progress_done, progress_total, warning_count, steps ON jobs
            WHEN new.version IS old.version BEGIN
            INSERT INTO job_feed (COLS)
            VALUES (new.id, 1, new.type_name, new.display_name, new.launched_by, new.status, new.status, new.version, new.attempt,
                COALESCE(new.changed_at, 0), new.progress_done, new.progress_total, new.warning_count, NULL, NULL, NULL, new.instance_id);
        END;
        """;

    /// <summary>
    /// Version 4: the change feed's sequence numbers without AUTOINCREMENT, which wrote its counter's page in
    /// sqlite_sequence on every transaction that changed a job (one page of about eleven per commit). A plain INTEGER
    /// PRIMARY KEY takes the highest number plus one, so numbers are still never reused: trimming always keeps the newest
    /// <see cref="SqliteJobStoreOptions.FeedRetention"/> rows (at least 1,000), so the highest number is never deleted, and
    /// nothing else deletes from the feed. The table is copied as it is (version 3 trimmed the same way, so its highest row
    /// is its counter); the triggers that write it are dropped first and created again, unchanged, after the copy.
    /// </summary>
    private const string Version4 = """
        DROP TRIGGER tr_jobs_feed_created;
        DROP TRIGGER tr_jobs_feed_changed;
        DROP TRIGGER tr_jobs_feed_report;
        CREATE TABLE job_feed_v4 (
            seq             INTEGER PRIMARY KEY,
            job_id          BLOB    NOT NULL,
            kind            INTEGER NOT NULL,
            type_name       TEXT    NOT NULL,
            display_name    TEXT    NOT NULL,
            launched_by     TEXT,
            previous_status INTEGER NOT NULL,
            status          INTEGER NOT NULL,
            version         INTEGER NOT NULL,
            attempt         INTEGER NOT NULL,
            at              INTEGER NOT NULL,
            progress_done   INTEGER NOT NULL,
            progress_total  INTEGER,
            warning_count   INTEGER NOT NULL,
            error_type      TEXT,
            error_message   TEXT,
            error_stack     TEXT,
            instance_id     TEXT
        );
        INSERT INTO job_feed_v4 (seq, COLS) SELECT seq, COLS FROM job_feed ORDER BY seq;
        DROP TABLE job_feed;
        ALTER TABLE job_feed_v4 RENAME TO job_feed;
        CREATE TRIGGER tr_jobs_feed_created AFTER INSERT ON jobs BEGIN
            INSERT INTO job_feed (COLS)
            VALUES (new.id, 2, new.type_name, new.display_name, new.launched_by, new.status, new.status, new.version, new.attempt,
                COALESCE(new.changed_at, new.created_at), new.progress_done, new.progress_total, new.warning_count, NULL, NULL, NULL, new.instance_id);
        END;
        CREATE TRIGGER tr_jobs_feed_changed AFTER UPDATE OF version ON jobs WHEN new.version IS NOT old.version BEGIN
            INSERT INTO job_feed (COLS)
            VALUES (new.id, CASE WHEN old.status = 0 AND new.status = 0 THEN 3 ELSE 0 END, new.type_name, new.display_name, new.launched_by,
                old.status, new.status, new.version, new.attempt, COALESCE(new.changed_at, 0), new.progress_done, new.progress_total, new.warning_count,
                CASE WHEN new.status = 8 THEN new.error_type END, CASE WHEN new.status = 8 THEN new.error_message END,
                CASE WHEN new.status = 8 THEN new.error_stack END, new.instance_id);
        END;
        CREATE TRIGGER tr_jobs_feed_report AFTER UPDATE OF progress_done, progress_total, warning_count, steps ON jobs
            WHEN new.version IS old.version BEGIN
            INSERT INTO job_feed (COLS)
            VALUES (new.id, 1, new.type_name, new.display_name, new.launched_by, new.status, new.status, new.version, new.attempt,
                COALESCE(new.changed_at, 0), new.progress_done, new.progress_total, new.warning_count, NULL, NULL, NULL, new.instance_id);
        END;
        """;

    /// <summary>
    /// Version 5: time and repetition. A job's run-after time, idempotency key, idempotent-until time (UTC ticks) and
    /// timeout (ticks), and the run-after time on the change feed. A queued job waiting for its time has a run_after and no
    /// place in the queue (queue_seq NULL): the queue's index leaves it out, so claims never scan it, and a partial index on
    /// run_after holds the waiting jobs alone, for the promotion that gives the due ones their place and for the next
    /// wake-up time. A queued row with neither a place nor a time (a draft made Queued by hand) is in the queue, first, as
    /// it was before. A unique partial index on the idempotency key makes a key name one job at most. Recurring schedules
    /// get a table of their own. Rows of version 4 get NULLs (no time to wait for, no key, no timeout), and every queued
    /// one keeps its place.
    /// </summary>
    private const string Version5 = """
        ALTER TABLE jobs ADD COLUMN run_after INTEGER;
        ALTER TABLE jobs ADD COLUMN idempotency_key TEXT;
        ALTER TABLE jobs ADD COLUMN idempotent_until INTEGER;
        ALTER TABLE jobs ADD COLUMN timeout INTEGER;
        DROP INDEX ix_jobs_queue;
        CREATE INDEX ix_jobs_queue ON jobs (priority DESC, queue_seq) WHERE status = 1 AND (queue_seq IS NOT NULL OR run_after IS NULL);
        CREATE INDEX ix_jobs_waiting ON jobs (run_after) WHERE status = 1 AND queue_seq IS NULL AND run_after IS NOT NULL;
        CREATE UNIQUE INDEX ux_jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
        ALTER TABLE job_feed ADD COLUMN run_after INTEGER;
        DROP TRIGGER tr_jobs_feed_created;
        DROP TRIGGER tr_jobs_feed_changed;
        DROP TRIGGER tr_jobs_feed_report;
        CREATE TRIGGER tr_jobs_feed_created AFTER INSERT ON jobs BEGIN
            INSERT INTO job_feed (COLS)
            VALUES (new.id, 2, new.type_name, new.display_name, new.launched_by, new.status, new.status, new.version, new.attempt,
                COALESCE(new.changed_at, new.created_at), new.progress_done, new.progress_total, new.warning_count, NULL, NULL, NULL, new.instance_id,
                new.run_after);
        END;
        CREATE TRIGGER tr_jobs_feed_changed AFTER UPDATE OF version ON jobs WHEN new.version IS NOT old.version BEGIN
            INSERT INTO job_feed (COLS)
            VALUES (new.id, CASE WHEN old.status = 0 AND new.status = 0 THEN 3 ELSE 0 END, new.type_name, new.display_name, new.launched_by,
                old.status, new.status, new.version, new.attempt, COALESCE(new.changed_at, 0), new.progress_done, new.progress_total, new.warning_count,
                CASE WHEN new.status = 8 THEN new.error_type END, CASE WHEN new.status = 8 THEN new.error_message END,
                CASE WHEN new.status = 8 THEN new.error_stack END, new.instance_id, CASE WHEN new.status = 1 THEN new.run_after END);
        END;
        CREATE TRIGGER tr_jobs_feed_report AFTER UPDATE OF progress_done, progress_total, warning_count, steps ON jobs
            WHEN new.version IS old.version BEGIN
            INSERT INTO job_feed (COLS)
            VALUES (new.id, 1, new.type_name, new.display_name, new.launched_by, new.status, new.status, new.version, new.attempt,
                COALESCE(new.changed_at, 0), new.progress_done, new.progress_total, new.warning_count, NULL, NULL, NULL, new.instance_id, NULL);
        END;
        CREATE TABLE job_schedules (
            id               TEXT    NOT NULL PRIMARY KEY,
            version          INTEGER NOT NULL,
            type_name        TEXT    NOT NULL,
            parameters       TEXT    NOT NULL,
            cron             TEXT    NOT NULL,
            time_zone        TEXT    NOT NULL,
            display_name     TEXT,
            priority         INTEGER NOT NULL,
            concurrency_key  TEXT,
            misfire          INTEGER NOT NULL,
            overlap          INTEGER NOT NULL,
            is_paused        INTEGER NOT NULL,
            created_at       INTEGER NOT NULL,
            updated_at       INTEGER NOT NULL,
            last_occurrence  INTEGER,
            last_job_id      BLOB,
            next_occurrence  INTEGER
        ) WITHOUT ROWID;
        """;

    /// <summary>
    /// Version 6: each job's history (commands with who issued them and why, reclaims, retries), numbered per job like the
    /// log, its details a JSON text the engine writes; purged with the job. Files of version 5 get an empty table.
    /// </summary>
    private const string Version6 = """
        CREATE TABLE job_history (
            job_id  BLOB    NOT NULL,
            seq     INTEGER NOT NULL,
            at      INTEGER NOT NULL,
            details TEXT    NOT NULL,
            PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID;
        """;

    /// <summary>
    /// Version 7: the instances sharing the store (one row per instance id: its node name, library version, workers, the
    /// jobs it ran at its last heartbeat, and the times of its first and last heartbeats in UTC ticks), each heartbeat an
    /// upsert. Files of version 6 get an empty table, filled by the next heartbeat of each live instance.
    /// </summary>
    private const string Version7 = """
        CREATE TABLE job_instances (
            instance_id     TEXT    NOT NULL PRIMARY KEY,
            node            TEXT    NOT NULL,
            version         TEXT    NOT NULL,
            max_concurrency INTEGER NOT NULL,
            running_jobs    INTEGER NOT NULL,
            started_at      INTEGER NOT NULL,
            heartbeat_at    INTEGER NOT NULL
        ) WITHOUT ROWID;
        """;

    /// <summary>Each entry brings a file from the version before it to its version.</summary>
    private static readonly (int Version, string Sql)[] Migrations =
    [
        (1, Version1),
        (2, Version2),
        (3, Version3.Replace("COLS", FeedColumnsVersion3, StringComparison.Ordinal)),
        (4, Version4.Replace("COLS", FeedColumnsVersion3, StringComparison.Ordinal)),
        (5, Version5.Replace("COLS", FeedColumns, StringComparison.Ordinal)),
        (6, Version6),
        (7, Version7),
    ];

    /// <summary>The columns of a change feed row after its sequence number as versions 3 and 4 wrote them (the shipped migrations name these).</summary>
    public const string FeedColumnsVersion3 = "job_id, kind, type_name, display_name, launched_by, previous_status, status, version, attempt, at, progress_done, progress_total, warning_count, error_type, error_message, error_stack, instance_id";

    /// <summary>The columns of a change feed row after its sequence number, in the order <see cref="SqliteRows.ReadChange"/> reads them.</summary>
    public const string FeedColumns = FeedColumnsVersion3 + ", run_after";

    /// <summary>The columns of a <see cref="JobScheduleRecord"/>, in the order <see cref="SqliteScheduleRows.Read"/> reads them.</summary>
    public const string ScheduleColumns =
        "id, version, type_name, parameters, cron, time_zone, display_name, priority, concurrency_key, misfire, overlap, is_paused, " +
        "created_at, updated_at, last_occurrence, last_job_id, next_occurrence";

    /// <summary>Gets the schema version this package writes.</summary>
    public static int CurrentVersion => Migrations[^1].Version;

    /// <summary>Creates the schema in an empty file, or brings an older one up to date, in one transaction.</summary>
    /// <param name="connection">The writer connection.</param>
    /// <param name="path">The file, for messages.</param>
    /// <returns>The version the file had (0 when it was new).</returns>
    /// <exception cref="JobTrackingException">The file was written by a newer schema, or holds tables that are not a job store's.</exception>
    public static int EnsureCreated(SqliteConnection connection, string path) => EnsureCreated(connection, path, CurrentVersion);

    /// <summary>Creates the schema, or brings an older one up, to <paramref name="version"/> only: a file as an older package left it, for the migration tests.</summary>
    internal static int EnsureCreated(SqliteConnection connection, string path, int version)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(version, CurrentVersion);
        using var transaction = connection.BeginTransaction(deferred: false);
        var found = ReadVersion(connection, transaction, path);
        if (found > CurrentVersion)
        {
            throw new JobTrackingException(
                $"The job store file '{path}' was written by a newer JobTracking.Sqlite (schema version {found}); this one knows schema versions up to {CurrentVersion}. " +
                "Upgrade the JobTracking.Sqlite package, or point UseSqlite at another file.");
        }

        if (found == 0 && HasTable(connection, transaction, "jobs"))
        {
            throw new JobTrackingException(
                $"The file '{path}' is a SQLite database with a 'jobs' table that JobTracking did not create (no schema_version table). Point UseSqlite at a file of its own.");
        }

        foreach (var (step, sql) in Migrations)
        {
            if (step > found && step <= version)
            {
                Execute(connection, transaction, sql);
            }
        }

        if (found < version)
        {
            Execute(connection, transaction, found == 0
                ? "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version (version) VALUES (" + version.ToString(CultureInfo.InvariantCulture) + ");"
                : "UPDATE schema_version SET version = " + version.ToString(CultureInfo.InvariantCulture) + ";");
        }

        transaction.Commit();
        return found;
    }

    private static int ReadVersion(SqliteConnection connection, SqliteTransaction transaction, string path)
    {
        if (!HasTable(connection, transaction, "schema_version"))
        {
            return 0;
        }

        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT MAX(version) FROM schema_version";
        return command.ExecuteScalar() is long version
            ? checked((int)version)
            : throw new JobTrackingException($"The job store file '{path}' has an empty schema_version table; it was not written by JobTracking.Sqlite or is damaged.");
    }

    private static bool HasTable(SqliteConnection connection, SqliteTransaction transaction, string name)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @name";
        command.Parameters.AddWithValue("@name", name);
        return (long)command.ExecuteScalar()! > 0;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
