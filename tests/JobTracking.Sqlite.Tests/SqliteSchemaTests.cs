using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Sqlite.Tests;

/// <summary>Files written by an older version of the package: opened, migrated in place, and nothing in them lost.</summary>
public sealed class SqliteSchemaTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    // A file as version 1 of the package wrote it: its schema, word for word, and rows as it stored them.
    private const string Version1Schema = """
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
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version (version) VALUES (1);
        """;

    private readonly TempDatabase _database = new();

    [Fact]
    public async Task Open_Version1File_MigratesAndKeepsItsJobs()
    {
        var completed = Guid.CreateVersion7();
        var running = Guid.CreateVersion7();
        var queued = Guid.CreateVersion7();
        WriteVersion1File(completed, running, queued);
        var clock = new FakeTimeProvider(T0.AddDays(1));

        await using var store = SqliteJobStores.Open(_database.ConnectionString, timeProvider: clock);

        Scalar("SELECT version FROM schema_version").Should().Be((long)Storage.SqliteSchema.CurrentVersion);
        var done = (await store.GetAsync(completed))!;
        (done.Status, done.DisplayName, done.Progress, done.Checkpoint, done.EndedAt).Should().Be((JobStatus.Completed, "done", new JobProgress(10, 10), "10", T0.AddMinutes(2)));
        done.Steps.Should().ContainSingle().Which.Read.Should().Be(10);
        (done.InstanceId, done.ClaimId, done.LeaseExpiresAt, done.CheckpointReport).Should().Be((null, null, null, null));
        done.PreviousAttempts.Should().BeEmpty();
        done.Attempts.Should().ContainSingle().Which.Should().Be(new JobAttempt { Number = 1, StartedAt = T0.AddMinutes(1), EndedAt = T0.AddMinutes(2), Status = JobStatus.Completed });
        (await store.ReadLogAsync(completed, new JournalQuery())).Items.Select(l => (l.Sequence, l.Message)).Should().Equal((1L, "first"), (2L, "second"));
        (await store.ReadRejectsAsync(completed, new JournalQuery())).Items.Should().ContainSingle().Which.Reason.Should().Be("bad");
        (await store.CountAsync()).Select(c => (c.Status, c.Count)).Should().BeEquivalentTo(new[] { (JobStatus.Completed, 1L), (JobStatus.Running, 1L), (JobStatus.Queued, 1L) });

        var reclaimed = await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "new", At = T0.AddDays(1) });
        reclaimed.Should().ContainSingle("a job left Running by version 1 has no lease, so it counts as expired")
            .Which.Job.Should().Match<JobRecord>(j => j.Id == running && j.Status == JobStatus.Interrupted && j.Checkpoint == "4" && j.Version == 3);

        var claimed = await store.ClaimAsync(new JobClaimRequest { InstanceId = "new", Node = "n", MaxCount = 5, At = T0.AddDays(1), LeaseDuration = TimeSpan.FromSeconds(30) });
        claimed.Should().ContainSingle().Which.Should().Match<JobRecord>(j => j.Id == queued && j.ClaimId != null && j.LeaseExpiresAt == clock.GetUtcNow().AddSeconds(30));
        await store.AppendJournalAsync([new JobJournalEntry { JobId = completed, Kind = JobJournalKind.Log, At = T0, Level = LogLevel.Information, Text = "third" }]);
        (await store.ReadLogAsync(completed, new JournalQuery())).Items.Select(l => l.Sequence).Should().Equal(1L, 2L, 3L);

        var restart = new JobTransition { JobId = running, FromStatus = JobStatus.Interrupted, ExpectedVersion = 3, ToStatus = JobStatus.Queued, At = T0.AddDays(1), IsNewAttempt = true };
        (await store.TryTransitionAsync(restart)).Should().BeTrue();
        (await store.GetAsync(running))!.PreviousAttempts.Should().Equal(
            new JobAttempt { Number = 1, StartedAt = T0.AddMinutes(1), EndedAt = T0.AddDays(1), Status = JobStatus.Interrupted });
    }

    [Fact]
    public async Task Open_Version2File_IsLeftAsItIs()
    {
        var id = Guid.CreateVersion7();
        await using (var store = SqliteJobStores.Open(_database.ConnectionString))
        {
            await store.CreateAsync(new JobRecord { Id = id, TypeName = "t", DisplayName = "d", Status = JobStatus.Queued, Version = 1, Parameters = "{}", CreatedAt = T0 });
        }

        await using var reopened = SqliteJobStores.Open(_database.ConnectionString);

        (await reopened.GetAsync(id)).Should().NotBeNull();
        Scalar("SELECT COUNT(*) FROM schema_version").Should().Be(1L);
    }

    [Fact]
    public async Task Open_Version3File_FeedLeavesAutoincrementWithEveryChangeAndItsNumbers()
    {
        // A file as version 3 left it: jobs whose changes the triggers wrote to the feed, the oldest of them trimmed.
        var ids = new[] { Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7() };
        using (var connection = new SqliteConnection($"Data Source={_database.Path_};Pooling=False"))
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode = WAL");
            Storage.SqliteSchema.EnsureCreated(connection, _database.Path_, 3).Should().Be(0);
            foreach (var id in ids)
            {
                Execute(
                    connection,
                    "INSERT INTO jobs (id, type_name, display_name, status, version, parameters, priority, created_at, attempt, progress_done, warning_count, queue_seq) " +
                    $"VALUES (@id, 't', 'job', {(int)JobStatus.Queued}, 1, '{{}}', 0, @t0, 1, 0, 0, 1)",
                    ("@id", id.ToByteArray(bigEndian: true)),
                    ("@t0", T0.UtcTicks));
                Execute(connection, $"UPDATE jobs SET status = {(int)JobStatus.Paused}, version = 2, changed_at = @t1 WHERE id = @id", ("@id", id.ToByteArray(bigEndian: true)), ("@t1", T0.AddMinutes(1).UtcTicks));
            }

            Execute(connection, "DELETE FROM job_feed WHERE seq <= 2");
        }

        var before = FeedRows();
        before.Select(r => r.Seq).Should().Equal(3L, 4L, 5L, 6L);
        Scalar("SELECT sql FROM sqlite_schema WHERE name = 'job_feed'").Should().BeOfType<string>().Which.Should().Contain("AUTOINCREMENT");

        await using var store = SqliteJobStores.Open(_database.ConnectionString);

        Scalar("SELECT version FROM schema_version").Should().Be((long)Storage.SqliteSchema.CurrentVersion);
        Scalar("SELECT sql FROM sqlite_schema WHERE name = 'job_feed'").Should().BeOfType<string>().Which.Should().NotContain("AUTOINCREMENT");
        Scalar("SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'job_feed'").Should().Be(0L);
        FeedRows().Should().Equal(before, "every change is kept with its number");
        (await store.ReadFeedAsync(0, Memory<JobChange>.Empty)).Should().Match<JobFeedRead>(r => r.FirstSequence == 3 && r.LatestSequence == 6);

        var waiting = store.WaitForChangesAsync(6).AsTask();
        waiting.IsCompleted.Should().BeFalse("nothing changed after 6 yet");
        var created = Guid.CreateVersion7();
        await store.CreateAsync(new JobRecord { Id = created, TypeName = "t", DisplayName = "new", Status = JobStatus.Queued, Version = 1, Parameters = "{}", CreatedAt = T0 });
        (await store.TryTransitionAsync(new JobTransition { JobId = ids[0], FromStatus = JobStatus.Paused, ExpectedVersion = 2, ToStatus = JobStatus.Queued, At = T0.AddMinutes(2) })).Should().BeTrue();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        var changes = new JobChange[10];
        var read = await store.ReadFeedAsync(6, changes);
        changes[..read.Count].Select(c => (c.Sequence, c.JobId, c.Status)).Should().Equal(
            [(7L, created, JobStatus.Queued), (8L, ids[0], JobStatus.Queued)],
            "the triggers write the feed again, numbered on from the highest number the file had");
    }

    [Fact]
    public async Task Open_Version4File_MigratesToVersion5_KeepsItsJobsAndFeed_AndWaitingJobsKeysAndSchedulesWork()
    {
        // A file as version 4 left it: a queued job with its place, a finished one, and the changes its triggers recorded.
        var queued = Guid.CreateVersion7();
        var completed = Guid.CreateVersion7();
        using (var connection = new SqliteConnection($"Data Source={_database.Path_};Pooling=False"))
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode = WAL");
            Storage.SqliteSchema.EnsureCreated(connection, _database.Path_, 4).Should().Be(0);
            Execute(
                connection,
                "INSERT INTO jobs (id, type_name, display_name, status, version, parameters, priority, created_at, attempt, progress_done, warning_count, queue_seq) VALUES " +
                $"(@queued, 't', 'queued', {(int)JobStatus.Queued}, 1, '{{}}', 0, @t0, 1, 0, 0, 7), " +
                $"(@completed, 't', 'done', {(int)JobStatus.Queued}, 1, '{{}}', 0, @t0, 1, 0, 0, 3)",
                ("@queued", queued.ToByteArray(bigEndian: true)),
                ("@completed", completed.ToByteArray(bigEndian: true)),
                ("@t0", T0.UtcTicks));
            Execute(
                connection,
                $"UPDATE jobs SET status = {(int)JobStatus.Completed}, version = 2, changed_at = @t1, ended_at = @t1 WHERE id = @id",
                ("@id", completed.ToByteArray(bigEndian: true)),
                ("@t1", T0.AddMinutes(1).UtcTicks));
        }

        var before = FeedRows();
        before.Should().HaveCount(3);
        var clock = new FakeTimeProvider(T0.AddHours(1));

        await using var store = SqliteJobStores.Open(_database.ConnectionString, timeProvider: clock);

        Scalar("SELECT version FROM schema_version").Should().Be((long)Storage.SqliteSchema.CurrentVersion);
        FeedRows().Should().Equal(before, "the feed keeps every change and its number");
        Scalar("SELECT sql FROM sqlite_schema WHERE name = 'ix_jobs_queue'").Should().BeOfType<string>().Which.Should().Contain("run_after IS NULL");
        var done = (await store.GetAsync(completed))!;
        (done.Status, done.Version, done.EndedAt, done.RunAfter, done.IdempotencyKey, done.IdempotentUntil, done.Timeout)
            .Should().Be((JobStatus.Completed, 2L, T0.AddMinutes(1), null, null, null, null));
        var changes = new JobChange[10];
        var read = await store.ReadFeedAsync(0, changes);
        changes[..read.Count].Select(c => (c.JobId, c.Status, c.RunAfter)).Should().Equal(
            (queued, JobStatus.Queued, (DateTimeOffset?)null), (completed, JobStatus.Queued, null), (completed, JobStatus.Completed, null));

        var waiting = new JobRecord { Id = Guid.CreateVersion7(), TypeName = "t", DisplayName = "waits", Status = JobStatus.Queued, Version = 1, Parameters = "{}", CreatedAt = T0, RunAfter = T0.AddHours(2), IdempotencyKey = "k" };
        (await store.CreateAsync(waiting)).Should().Be(waiting.Id);
        (await store.CreateAsync(waiting with { Id = Guid.CreateVersion7() })).Should().Be(waiting.Id, "the key's unique index and the holder's lookup work on a migrated file");
        (await store.GetNextRunAfterAsync()).Should().Be(T0.AddHours(2));
        var claim = new JobClaimRequest { InstanceId = "new", Node = "n", MaxCount = 5, At = T0.AddHours(1), LeaseDuration = TimeSpan.FromSeconds(30) };
        (await store.ClaimAsync(claim)).Select(j => j.Id).Should().Equal([queued], "the queued job of version 4 kept its place; the waiting job waits");
        clock.Advance(TimeSpan.FromHours(1));
        (await store.ClaimAsync(claim)).Select(j => j.Id).Should().Equal(waiting.Id);
        read = await store.ReadFeedAsync(before[^1].Seq, changes);
        changes[..read.Count].Select(c => (c.JobId, c.Status, c.RunAfter)).Should().Equal(
            (waiting.Id, JobStatus.Queued, (DateTimeOffset?)T0.AddHours(2)), (queued, JobStatus.Running, null), (waiting.Id, JobStatus.Running, null));

        var schedule = new JobScheduleRecord { Id = "nightly", Version = 1, TypeName = "t", Parameters = "{}", Cron = "0 2 * * *", TimeZone = "UTC", CreatedAt = T0, UpdatedAt = T0 };
        (await store.TrySaveScheduleAsync(schedule)).Should().BeTrue();
        (await store.GetSchedulesAsync()).Should().Equal(schedule);
    }

    [Fact]
    public async Task Open_Version5File_MigratesToVersion6_KeepsItsJobsAndLog_AndKeepsAndPurgesHistory()
    {
        // A file as version 5 left it: a finished job with a log line, before jobs had a history.
        var completed = Guid.CreateVersion7();
        using (var connection = new SqliteConnection($"Data Source={_database.Path_};Pooling=False"))
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode = WAL");
            Storage.SqliteSchema.EnsureCreated(connection, _database.Path_, 5).Should().Be(0);
            Execute(
                connection,
                "INSERT INTO jobs (id, type_name, display_name, status, version, parameters, priority, created_at, ended_at, attempt, progress_done, warning_count) VALUES " +
                $"(@id, 't', 'done', {(int)JobStatus.Completed}, 3, '{{}}', 0, @t0, @t1, 1, 0, 0)",
                ("@id", completed.ToByteArray(bigEndian: true)),
                ("@t0", T0.UtcTicks),
                ("@t1", T0.AddMinutes(1).UtcTicks));
            Execute(
                connection,
                "INSERT INTO job_log (job_id, seq, at, level, message) VALUES (@id, 1, @t0, 2, 'before the history')",
                ("@id", completed.ToByteArray(bigEndian: true)),
                ("@t0", T0.UtcTicks));
        }

        await using var store = SqliteJobStores.Open(_database.ConnectionString, timeProvider: new FakeTimeProvider(T0.AddHours(1)));

        Scalar("SELECT version FROM schema_version").Should().Be((long)Storage.SqliteSchema.CurrentVersion);
        (await store.GetAsync(completed))!.Status.Should().Be(JobStatus.Completed);
        (await store.ReadHistoryAsync(completed, new JournalQuery())).Items.Should().BeEmpty("a job of version 5 has no history");
        await store.AppendJournalAsync(
        [
            new JobJournalEntry { JobId = completed, Kind = JobJournalKind.History, At = T0.AddMinutes(2), Text = "{\"kind\":\"Pause\"}" },
            new JobJournalEntry { JobId = completed, Kind = JobJournalKind.Log, At = T0.AddMinutes(2), Level = LogLevel.Information, Text = "after" },
        ]);
        (await store.ReadHistoryAsync(completed, new JournalQuery())).Items.Select(h => (h.Sequence, h.At, h.Text))
            .Should().Equal([(1L, T0.AddMinutes(2), "{\"kind\":\"Pause\"}")]);
        (await store.ReadLogAsync(completed, new JournalQuery())).Items.Select(l => l.Message).Should().Equal("before the history", "after");

        (await store.PurgeAsync(T0.AddMinutes(30), 10)).Should().Be(1);
        Scalar("SELECT COUNT(*) FROM job_history").Should().Be(0L, "the history goes with its job");
    }

    [Fact]
    public async Task Open_Version6File_MigratesToVersion7_KeepsItsJobs_AndListsInstances()
    {
        // A file as version 6 left it: a finished job with a history entry, before instances were listed.
        var completed = Guid.CreateVersion7();
        using (var connection = new SqliteConnection($"Data Source={_database.Path_};Pooling=False"))
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode = WAL");
            Storage.SqliteSchema.EnsureCreated(connection, _database.Path_, 6).Should().Be(0);
            Execute(
                connection,
                "INSERT INTO jobs (id, type_name, display_name, status, version, parameters, priority, created_at, ended_at, attempt, progress_done, warning_count) VALUES " +
                $"(@id, 't', 'done', {(int)JobStatus.Completed}, 3, '{{}}', 0, @t0, @t1, 1, 0, 0)",
                ("@id", completed.ToByteArray(bigEndian: true)),
                ("@t0", T0.UtcTicks),
                ("@t1", T0.AddMinutes(1).UtcTicks));
            Execute(
                connection,
                "INSERT INTO job_history (job_id, seq, at, details) VALUES (@id, 1, @t0, '{\"kind\":\"Pause\"}')",
                ("@id", completed.ToByteArray(bigEndian: true)),
                ("@t0", T0.UtcTicks));
        }

        var clock = new FakeTimeProvider(T0.AddHours(1));
        await using var store = SqliteJobStores.Open(_database.ConnectionString, timeProvider: clock);

        Scalar("SELECT version FROM schema_version").Should().Be(7L);
        (await store.GetAsync(completed))!.Status.Should().Be(JobStatus.Completed);
        (await store.ReadHistoryAsync(completed, new JournalQuery())).Items.Should().ContainSingle();
        (await store.GetInstancesAsync()).Instances.Should().BeEmpty("a file of version 6 lists no instance");
        await store.RecordHeartbeatAsync(new JobInstanceHeartbeat { InstanceId = "a", Node = "n", Version = "1.0", MaxConcurrency = 4, RunningJobs = 1 });
        clock.Advance(TimeSpan.FromSeconds(5));
        await store.RecordHeartbeatAsync(new JobInstanceHeartbeat { InstanceId = "a", Node = "n", Version = "1.0", MaxConcurrency = 4, RunningJobs = 2 });
        var instance = (await store.GetInstancesAsync()).Instances.Should().ContainSingle().Subject;
        (instance.StartedAt, instance.HeartbeatAt, instance.RunningJobs).Should().Be((T0.AddHours(1), T0.AddHours(1).AddSeconds(5), 2));
    }

    [Fact]
    public async Task InstanceRowEditedByHand_IsAClearErrorNamingTheInstanceAndTheColumn()
    {
        await using var store = SqliteJobStores.Open(_database.ConnectionString, timeProvider: new FakeTimeProvider(T0));
        await store.RecordHeartbeatAsync(new JobInstanceHeartbeat { InstanceId = "vm:1:ab", Node = "n", Version = "1.0", MaxConcurrency = 4, RunningJobs = 0 });
        using (var connection = new SqliteConnection($"Data Source={_database.Path_};Pooling=False"))
        {
            connection.Open();
            Execute(connection, "UPDATE job_instances SET max_concurrency = 'many'");
        }

        var read = async () => await store.GetInstancesAsync();

        await read.Should().ThrowAsync<JobTrackingException>().WithMessage("*instance 'vm:1:ab'*max_concurrency*");
    }

    public void Dispose() => _database.Dispose();

    private void WriteVersion1File(Guid completed, Guid running, Guid queued)
    {
        using var connection = new SqliteConnection($"Data Source={_database.Path_};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = WAL");
        Execute(connection, Version1Schema);
        const string Steps = """[{"name":"work","status":2,"started":638765000000000000,"read":10,"written":10,"skipped":0,"warnings":0}]""";
        Execute(
            connection,
            "INSERT INTO jobs (id, type_name, display_name, status, version, parameters, priority, created_at, started_at, ended_at, attempt, node, progress_done, progress_total, checkpoint, warning_count, steps, queue_seq) VALUES " +
            $"(@completed, 't', 'done', {(int)JobStatus.Completed}, 3, '{{}}', 0, @t0, @t1, @t2, 1, 'old', 10, 10, '10', 0, '{Steps}', 1), " +
            $"(@running, 't', 'running', {(int)JobStatus.Running}, 2, '{{}}', 0, @t0, @t1, NULL, 1, 'old', 4, 10, '4', 0, NULL, 2), " +
            $"(@queued, 't', 'queued', {(int)JobStatus.Queued}, 1, '{{}}', 0, @t0, NULL, NULL, 1, NULL, 0, NULL, NULL, 0, NULL, 3);" +
            "INSERT INTO job_log (job_id, seq, at, level, message) VALUES (@completed, 1, @t0, 2, 'first'), (@completed, 2, @t0, 2, 'second');" +
            "INSERT INTO job_rejects (job_id, seq, at, record_number, raw_record, reason) VALUES (@completed, 1, @t0, 7, 'row', 'bad');",
            ("@completed", completed.ToByteArray(bigEndian: true)),
            ("@running", running.ToByteArray(bigEndian: true)),
            ("@queued", queued.ToByteArray(bigEndian: true)),
            ("@t0", T0.UtcTicks),
            ("@t1", T0.AddMinutes(1).UtcTicks),
            ("@t2", T0.AddMinutes(2).UtcTicks));
    }

    private static void Execute(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    private List<(long Seq, string Row)> FeedRows()
    {
        using var connection = new SqliteConnection($"Data Source={_database.Path_};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT seq, {Storage.SqliteSchema.FeedColumnsVersion3} FROM job_feed ORDER BY seq";
        using var reader = command.ExecuteReader();
        var rows = new List<(long, string)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), string.Join('|', Enumerable.Range(1, reader.FieldCount - 1).Select(i => reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i) is byte[] b ? Convert.ToHexString(b) : reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)))));
        }

        return rows;
    }

    private object? Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_database.Path_};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
