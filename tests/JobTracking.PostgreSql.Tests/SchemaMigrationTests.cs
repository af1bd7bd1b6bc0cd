using JobTracking.PostgreSql.Storage;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>A schema written by the first version of the store, with jobs in it, opened by this version: migrated in place, nothing lost.</summary>
[Trait("Category", "PostgreSql")]
public sealed class SchemaMigrationTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>
    /// A version 1 schema holding queued, running (keyed) and completed jobs and their changes: after the migration the
    /// counts and the changes are as they were (numbers kept), new changes are numbered after them, and the running job
    /// still holds its concurrency key against claims.
    /// </summary>
    [Fact]
    public async Task Version1Schema_OpenedByThisVersion_IsMigratedKeepingJobsCountsChangesAndKeys()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using (var dataSource = NpgsqlDataSource.Create(schema.ConnectionString))
        {
            (await PgSchema.EnsureCreatedAsync(dataSource, schema.Name, 1, Token)).Should().Be(0);
        }

        // Rows as version 1 wrote them: jobs (counted by its triggers) and their changes, numbered by its sequence.
        var queued = Guid.CreateVersion7();
        var running = Guid.CreateVersion7();
        var waiting = Guid.CreateVersion7();
        var completed = Guid.CreateVersion7();
        await using (var connection = new NpgsqlConnection(schema.ConnectionString))
        {
            await connection.OpenAsync(Token);
            await OverlappingCommitsTests.ExecuteAsync(connection, null, $$"""
                INSERT INTO jobs (id, type_name, display_name, status, version, parameters, priority, concurrency_key, created_at, attempt,
                    progress_done, warning_count, queue_seq, instance_id, claim_id, lease_until) VALUES
                    ('{{queued}}', 'import', 'queued', 1, 1, '{}', 0, NULL, 1, 1, 0, 0, nextval('queue_order'), NULL, NULL, NULL),
                    ('{{running}}', 'import', 'running', 2, 2, '{}', 0, 'profile-7', 2, 1, 0, 0, NULL, 'instance-a', gen_random_uuid(), now() + interval '1 hour'),
                    ('{{waiting}}', 'import', 'waiting for the key', 1, 1, '{}', 0, 'profile-7', 3, 1, 0, 0, nextval('queue_order'), NULL, NULL, NULL),
                    ('{{completed}}', 'export', 'completed', 7, 3, '{}', 0, NULL, 4, 1, 10, 0, NULL, NULL, NULL, NULL);
                INSERT INTO job_feed ({{OverlappingCommitsTests.FeedColumns}})
                    SELECT id, 2, type_name, display_name, NULL, status, status, version, attempt, now(), 0, NULL, 0, NULL, NULL, NULL, NULL FROM jobs ORDER BY created_at;
                """);
        }

        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null);
        var countsBefore = new[] { ("import", JobStatus.Queued, 2L), ("import", JobStatus.Running, 1L), ("export", JobStatus.Completed, 1L) };

        (await store.CountAsync(Token)).Select(c => (c.TypeName, c.Status, c.Count)).Should().BeEquivalentTo(countsBefore, "the counts are kept");
        var old = await OverlappingCommitsTests.ReadAllAsync(store, 0);
        old.Select(c => c.Sequence).Should().Equal([1L, 2L, 3L, 4L], "the changes version 1 numbered keep their numbers");
        old.Select(c => c.JobId).Should().Equal(queued, running, waiting, completed);

        var claimed = await store.ClaimAsync(new() { InstanceId = "instance-b", Node = "b", MaxCount = 10, At = DateTimeOffset.UtcNow, LeaseDuration = TimeSpan.FromMinutes(1) }, Token);
        claimed.Select(j => j.Id).Should().Equal([queued], "the job waiting for profile-7 stays queued while the migrated running job holds the key");

        var news = await OverlappingCommitsTests.ReadAllAsync(store, 4);
        news.Should().ContainSingle(c => c.JobId == queued && c.Status == JobStatus.Running).Which.Sequence.Should().BeGreaterThan(4, "new changes are numbered after the old ones");

        (await HoldersAsync(schema)).Should().Equal([running], "the migration recorded the key the running job holds, for claims racing each other");

        // The running job ends: its key is free, and the waiting job is claimed.
        var stored = (await store.GetAsync(running, Token))!;
        (await store.TryTransitionAsync(new JobTransition { JobId = running, FromStatus = JobStatus.Running, ExpectedVersion = stored.Version, ToStatus = JobStatus.Completed, At = DateTimeOffset.UtcNow, ClaimId = stored.ClaimId }, Token)).Should().BeTrue();
        (await store.ClaimAsync(new() { InstanceId = "instance-b", Node = "b", MaxCount = 10, At = DateTimeOffset.UtcNow, LeaseDuration = TimeSpan.FromMinutes(1) }, Token))
            .Select(j => j.Id).Should().Equal([waiting]);
        (await HoldersAsync(schema)).Should().Equal([waiting], "the key went from the job that ended to the one claimed");

        await using var check = new NpgsqlConnection(schema.ConnectionString);
        await check.OpenAsync(Token);
        await using var version = new NpgsqlCommand("SELECT version FROM schema_version", check);
        (await version.ExecuteScalarAsync(Token)).Should().Be(PgSchema.CurrentVersion);
    }

    /// <summary>A version 3 schema (before jobs had a history) holding a finished job with a log line: after the migration both read as before, a history is kept, and purged with its job.</summary>
    [Fact]
    public async Task Version3Schema_OpenedByThisVersion_IsMigratedKeepingJobsAndLog_AndKeepsAndPurgesHistory()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using (var dataSource = NpgsqlDataSource.Create(schema.ConnectionString))
        {
            (await PgSchema.EnsureCreatedAsync(dataSource, schema.Name, 3, Token)).Should().Be(0);
        }

        var completed = Guid.CreateVersion7();
        var t0 = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
        await using (var connection = new NpgsqlConnection(schema.ConnectionString))
        {
            await connection.OpenAsync(Token);
            await OverlappingCommitsTests.ExecuteAsync(connection, null, $$"""
                INSERT INTO jobs (id, type_name, display_name, status, version, parameters, priority, created_at, ended_at, attempt, progress_done, warning_count)
                    VALUES ('{{completed}}', 'export', 'completed', 7, 3, '{}', 0, {{t0.UtcTicks}}, '2026-03-04T05:07:07Z', 1, 0, 0);
                INSERT INTO job_log (job_id, seq, at, level, message) VALUES ('{{completed}}', 1, '2026-03-04T05:06:07Z', 2, 'before the history');
                """);
        }

        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null);

        (await store.GetAsync(completed, Token))!.Status.Should().Be(JobStatus.Completed);
        (await store.ReadHistoryAsync(completed, new JournalQuery(), Token)).Items.Should().BeEmpty("a job of version 3 has no history");
        await store.AppendJournalAsync(
        [
            new JobJournalEntry { JobId = completed, Kind = JobJournalKind.History, At = t0.AddMinutes(2), Text = "{\"kind\":\"Pause\"}\0" },
            new JobJournalEntry { JobId = completed, Kind = JobJournalKind.Log, At = t0.AddMinutes(2), Level = Microsoft.Extensions.Logging.LogLevel.Information, Text = "after" },
        ], Token);
        (await store.ReadHistoryAsync(completed, new JournalQuery(), Token)).Items.Select(h => (h.Sequence, h.At, h.Text))
            .Should().Equal([(1L, t0.AddMinutes(2), "{\"kind\":\"Pause\"}\0")]);
        (await store.ReadLogAsync(completed, new JournalQuery(), Token)).Items.Select(l => l.Message).Should().Equal("before the history", "after");

        (await store.PurgeAsync(t0.AddMinutes(30), 10, Token)).Should().Be(1);
        (await store.ReadHistoryAsync(completed, new JournalQuery(), Token)).Items.Should().BeEmpty("the history goes with its job");

        await using var check = new NpgsqlConnection(schema.ConnectionString);
        await check.OpenAsync(Token);
        await using var version = new NpgsqlCommand("SELECT version FROM schema_version", check);
        (await version.ExecuteScalarAsync(Token)).Should().Be(PgSchema.CurrentVersion);
    }

    /// <summary>A version 4 schema (before instances were listed) holding a finished job: after the migration it reads as before, and heartbeats are upserted, dated by the database.</summary>
    [Fact]
    public async Task Version4Schema_OpenedByThisVersion_IsMigratedKeepingJobs_AndListsInstances()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using (var dataSource = NpgsqlDataSource.Create(schema.ConnectionString))
        {
            (await PgSchema.EnsureCreatedAsync(dataSource, schema.Name, 4, Token)).Should().Be(0);
        }

        var completed = Guid.CreateVersion7();
        var t0 = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
        await using (var connection = new NpgsqlConnection(schema.ConnectionString))
        {
            await connection.OpenAsync(Token);
            await OverlappingCommitsTests.ExecuteAsync(connection, null, $$"""
                INSERT INTO jobs (id, type_name, display_name, status, version, parameters, priority, created_at, ended_at, attempt, progress_done, warning_count)
                    VALUES ('{{completed}}', 'export', 'completed', 7, 3, '{}', 0, {{t0.UtcTicks}}, '2026-03-04T05:07:07Z', 1, 0, 0);
                """);
        }

        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null);

        (await store.GetAsync(completed, Token))!.Status.Should().Be(JobStatus.Completed);
        (await store.GetInstancesAsync(Token)).Instances.Should().BeEmpty("a schema of version 4 lists no instance");
        await store.RecordHeartbeatAsync(new JobInstanceHeartbeat { InstanceId = "a", Node = "n", Version = "1.0", MaxConcurrency = 4, RunningJobs = 1 }, Token);
        var first = (await store.GetInstancesAsync(Token)).Instances.Should().ContainSingle().Subject;
        await store.RecordHeartbeatAsync(new JobInstanceHeartbeat { InstanceId = "a", Node = "n", Version = "1.0", MaxConcurrency = 4, RunningJobs = 2 }, Token);
        var list = await store.GetInstancesAsync(Token);
        var second = list.Instances.Should().ContainSingle().Subject;
        (second.StartedAt, second.RunningJobs).Should().Be((first.StartedAt, 2));
        second.HeartbeatAt.Should().BeOnOrAfter(first.HeartbeatAt);
        list.Now.Should().BeOnOrAfter(second.HeartbeatAt);
    }

    private static async Task<List<Guid>> HoldersAsync(TestSchema schema)
    {
        await using var connection = new NpgsqlConnection(schema.ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand("SELECT job_id FROM job_key_holds WHERE concurrency_key = 'profile-7'", connection);
        var holders = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            holders.Add(reader.GetGuid(0));
        }

        return holders;
    }
}
