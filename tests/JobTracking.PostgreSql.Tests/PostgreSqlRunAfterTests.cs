using JobTracking.PostgreSql.Storage;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>Jobs that wait for their time (RunAfter) on PostgreSQL: kept out of the queue's index, promoted by claims in the order of their times, judged by the store's (here the test's) clock; retries that move a running job back to Queued.</summary>
[Trait("Category", "PostgreSql")]
public sealed class PostgreSqlRunAfterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WaitingJobs_AreNotClaimedUntilTheClockPassesTheirTime_ThenComeOutInRunAfterOrder()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var clock = new FakeTimeProvider(T0);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, clock);

        // Created in an order unlike their times, ids too, with a ready job created after them all.
        var ids = Enumerable.Range(0, 3).Select(_ => Guid.CreateVersion7()).Order().ToArray();
        var third = Job("third") with { Id = ids[0], RunAfter = T0.AddMinutes(3) };
        var first = Job("first") with { Id = ids[2], RunAfter = T0.AddMinutes(1) };
        var second = Job("second") with { Id = ids[1], RunAfter = T0.AddMinutes(2).AddTicks(10) };
        var ready = Job("ready");
        foreach (var job in new[] { third, first, second, ready })
        {
            (await store.CreateAsync(job, Token)).Should().Be(job.Id);
        }

        (await store.ClaimAsync(Claim(10), Token)).Select(j => j.Id).Should().Equal([ready.Id], "only the job without a time is ready");
        (await store.GetNextRunAfterAsync(Token)).Should().Be(first.RunAfter);
        (await QueueSeqAsync(schema, first.Id)).Should().BeNull("a waiting job is not in the queue's index");

        clock.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(10));
        (await store.ClaimAsync(Claim(10), Token)).Should().BeEmpty("the clock has not reached the first job's time");

        clock.Advance(TimeSpan.FromMinutes(5));
        (await store.GetNextRunAfterAsync(Token)).Should().BeNull("no job waits for a time later than the clock");
        (await store.ClaimAsync(Claim(10), Token)).Select(j => j.DisplayName).Should().Equal(["first", "second", "third"], "jobs due together come out in the order of their times");

        var read = await store.GetAsync(second.Id, Token);
        read!.RunAfter.Should().Be(second.RunAfter, "the time is kept, to the tick here");
    }

    [Fact]
    public async Task DueJob_EntersTheQueueBehindTheJobsReadyBeforeIt_AndAheadOfTheJobsQueuedAfterItsPromotion()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var clock = new FakeTimeProvider(T0);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, clock);

        var waiting = Job("waiting") with { RunAfter = T0.AddSeconds(30) };
        var early = Job("early");
        await store.CreateManyAsync([waiting, early], Token);
        clock.Advance(TimeSpan.FromMinutes(1));
        (await store.ClaimAsync(Claim(1), Token)).Select(j => j.DisplayName).Should().Equal(["early"]);
        var late = Job("late");
        await store.CreateAsync(late, Token);

        (await store.ClaimAsync(Claim(10), Token)).Select(j => j.DisplayName).Should().Equal(["waiting", "late"]);
    }

    [Fact]
    public async Task QueuedToQueued_ReschedulesAWaitingJob_OrMakesItReadyAtOnce()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var clock = new FakeTimeProvider(T0);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, clock);
        var job = Job("later") with { RunAfter = T0.AddHours(1) };
        await store.CreateAsync(job, Token);

        (await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 1, JobStatus.Queued) with { RunAfter = T0.AddHours(2) }, Token)).Should().BeTrue();
        (await store.GetNextRunAfterAsync(Token)).Should().Be(T0.AddHours(2));
        (await store.ClaimAsync(Claim(1), Token)).Should().BeEmpty();

        (await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 2, JobStatus.Queued), Token)).Should().BeTrue("run now");
        (await store.GetNextRunAfterAsync(Token)).Should().BeNull();
        (await store.ClaimAsync(Claim(1), Token)).Select(j => (j.Id, j.RunAfter)).Should().Equal([(job.Id, (DateTimeOffset?)null)]);

        var changes = await OverlappingCommitsTests.ReadAllAsync(store, 0);
        changes.Select(c => (c.Status, c.RunAfter)).Should().Equal(
            [(JobStatus.Queued, T0.AddHours(1)), (JobStatus.Queued, T0.AddHours(2)), (JobStatus.Queued, null), (JobStatus.Running, (DateTimeOffset?)null)],
            "the feed carries the job's time on its creation and on each move to Queued");
    }

    [Fact]
    public async Task Retry_RunningToQueued_ReleasesTheKeyHold_RecordsTheFailedAttempt_AndWaitsForItsTime()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var clock = new FakeTimeProvider(T0);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, clock);
        var retried = Job("retried") with { ConcurrencyKey = "profile-9" };
        var next = Job("next of the key") with { ConcurrencyKey = "profile-9" };
        await store.CreateManyAsync([retried, next], Token);
        var running = (await store.ClaimAsync(Claim(10), Token)).Should().ContainSingle().Which;
        running.Id.Should().Be(retried.Id);
        var error = new JobError { Type = "System.IO.IOException", Message = "disk\0full", StackTrace = "at Import()" };

        var retry = Move(retried.Id, JobStatus.Running, running.Version, JobStatus.Queued) with
        {
            ClaimId = running.ClaimId,
            IsNewAttempt = true,
            Error = error,
            At = T0.AddSeconds(5),
            RunAfter = T0.AddMinutes(1),
        };
        (await store.TryTransitionAsync(retry, Token)).Should().BeTrue();

        var stored = (await store.GetAsync(retried.Id, Token))!;
        stored.Should().Match<JobRecord>(j => j.Status == JobStatus.Queued && j.Claim == null && j.Attempt == 2 && j.Error == null && j.RunAfter == T0.AddMinutes(1));
        var attempt = stored.PreviousAttempts.Should().ContainSingle().Which;
        (attempt.Number, attempt.Status, attempt.Error, attempt.EndedAt).Should().Be((1, JobStatus.Failed, error, T0.AddSeconds(5)));
        (await HoldersAsync(schema)).Should().BeEmpty("the key is released when its job leaves Running for Queued");

        (await store.ClaimAsync(Claim(10), Token)).Select(j => j.Id).Should().Equal([next.Id], "the key is free and the retried job waits for its time");
        var done = (await store.GetAsync(next.Id, Token))!;
        (await store.TryTransitionAsync(Move(next.Id, JobStatus.Running, done.Version, JobStatus.Completed) with { ClaimId = done.ClaimId }, Token)).Should().BeTrue();
        clock.Advance(TimeSpan.FromMinutes(1));
        (await store.ClaimAsync(Claim(10), Token)).Select(j => (j.Id, j.Attempt)).Should().Equal([(retried.Id, 2)]);
        (await HoldersAsync(schema)).Should().Equal([retried.Id]);
    }

    [Fact]
    public async Task Version2Schema_OpenedByThisVersion_IsMigratedKeepingJobs_AndTheNewColumnsWork()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using (var dataSource = NpgsqlDataSource.Create(schema.ConnectionString))
        {
            (await PgSchema.EnsureCreatedAsync(dataSource, schema.Name, 2, Token)).Should().Be(0);
        }

        // Rows as version 2 wrote them: a queued job, a high-priority one queued earlier, a completed one, their changes.
        var queued = Guid.CreateVersion7();
        var urgent = Guid.CreateVersion7();
        var completed = Guid.CreateVersion7();
        await using (var connection = new NpgsqlConnection(schema.ConnectionString))
        {
            await connection.OpenAsync(Token);
            await OverlappingCommitsTests.ExecuteAsync(connection, null, $$"""
                INSERT INTO jobs (id, type_name, display_name, status, version, parameters, priority, created_at, attempt, progress_done, warning_count, queue_seq) VALUES
                    ('{{queued}}', 'import', 'queued', 1, 1, '{}', 0, 1, 1, 0, 0, nextval('queue_order')),
                    ('{{urgent}}', 'import', 'urgent', 1, 1, '{}', 5, 2, 1, 0, 0, nextval('queue_order')),
                    ('{{completed}}', 'export', 'completed', 7, 3, '{}', 0, 3, 1, 10, 0, NULL);
                INSERT INTO job_feed ({{OverlappingCommitsTests.FeedColumns}})
                    SELECT id, 2, type_name, display_name, NULL, status, status, version, attempt, now(), 0, NULL, 0, NULL, NULL, NULL, NULL FROM jobs ORDER BY created_at;
                """);
        }

        var clock = new FakeTimeProvider(T0);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, clock);

        (await VersionAsync(schema)).Should().Be(PgSchema.CurrentVersion);
        (await store.CountAsync(Token)).Select(c => (c.TypeName, c.Status, c.Count)).Should().BeEquivalentTo(
            [("import", JobStatus.Queued, 2L), ("export", JobStatus.Completed, 1L)], "the counts are kept");
        var old = (await store.GetAsync(completed, Token))!;
        (old.RunAfter, old.IdempotencyKey, old.IdempotentUntil, old.Timeout).Should().Be((null, null, null, null), "the new columns read empty on old rows");

        var waiting = Job("waiting") with { RunAfter = T0.AddMinutes(1), Priority = 9, IdempotencyKey = "nightly", Timeout = TimeSpan.FromTicks(123_456_789) };
        (await store.CreateAsync(waiting, Token)).Should().Be(waiting.Id);
        (await OverlappingCommitsTests.ReadAllAsync(store, 0)).Select(c => (c.JobId, c.RunAfter)).Should().Equal(
            [(queued, null), (urgent, null), (completed, null), (waiting.Id, T0.AddMinutes(1))], "the old changes are kept, and numbered before the new one");
        (await store.CreateAsync(Job("again") with { IdempotencyKey = "nightly" }, Token)).Should().Be(waiting.Id, "the key is held by the waiting job");
        (await store.ClaimAsync(Claim(10), Token)).Select(j => j.Id).Should().Equal([urgent, queued], "the migrated jobs keep their queue order; the waiting one waits");
        clock.Advance(TimeSpan.FromMinutes(1));
        var claimed = (await store.ClaimAsync(Claim(10), Token)).Should().ContainSingle().Which;
        (claimed.Id, claimed.Timeout, claimed.IdempotencyKey).Should().Be((waiting.Id, TimeSpan.FromTicks(123_456_789), "nightly"));
    }

    [Fact]
    public async Task ManyWaitingJobs_StayOutOfTheQueueIndex_AndAClaimReadsNoneOfThem()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var clock = new FakeTimeProvider(T0);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, clock);
        await store.CreateManyAsync([.. Enumerable.Range(0, 20_000).Select(i => Job($"later #{i}") with { RunAfter = T0.AddDays(365).AddSeconds(i), Priority = 10 })], Token);
        var ready = Job("ready");
        await store.CreateAsync(ready, Token);

        await using var connection = new NpgsqlConnection(schema.ConnectionString);
        await connection.OpenAsync(Token);
        await OverlappingCommitsTests.ExecuteAsync(connection, null, "ANALYZE jobs");
        await using (var entries = new NpgsqlCommand("SELECT (SELECT count(*) FROM jobs WHERE status = 1 AND queue_seq IS NOT NULL), (SELECT count(*) FROM jobs WHERE status = 1 AND queue_seq IS NULL)", connection))
        await using (var reader = await entries.ExecuteReaderAsync(Token))
        {
            await reader.ReadAsync(Token);
            (reader.GetInt64(0), reader.GetInt64(1)).Should().Be((1L, 20_000L), "the waiting jobs, of a higher priority, are not in the queue");
        }

        // The claim's scan of the queue, as the claim statement writes it, reads a page or two of its index: the waiting jobs,
        // of a higher priority and so ahead of the ready job in the index's order, are not in it (20,000 entries would fill
        // dozens of pages).
        await using var explain = new NpgsqlCommand(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM jobs WHERE status = 1 AND queue_seq IS NOT NULL AND type_name <> ALL('{}'::text[]) ORDER BY priority DESC, queue_seq LIMIT 10",
            connection);
        var plan = new System.Text.StringBuilder();
        await using (var lines = await explain.ExecuteReaderAsync(Token))
        {
            while (await lines.ReadAsync(Token))
            {
                plan.AppendLine(lines.GetString(0));
            }
        }

        plan.ToString().Should().Contain("ix_jobs_queue").And.NotContain("Rows Removed by Filter");
        var buffers = System.Text.RegularExpressions.Regex.Match(plan.ToString(), @"Buffers: shared hit=(\d+)(?: read=(\d+))?");
        buffers.Success.Should().BeTrue(plan.ToString());
        (int.Parse(buffers.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            + (buffers.Groups[2].Success ? int.Parse(buffers.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : 0))
            .Should().BeLessThan(10, plan.ToString());
        (await store.ClaimAsync(Claim(10), Token)).Select(j => j.Id).Should().Equal([ready.Id]);

        // The promotion every claim runs first reads the waiting jobs' index, never the table, even with the plan PL/pgSQL
        // caches after a few calls (a generic plan, forced here): with nothing due, and with one job due.
        foreach (var due in new[] { false, true })
        {
            if (due)
            {
                await store.CreateAsync(Job("due") with { RunAfter = T0.AddSeconds(-1) }, Token);
                await OverlappingCommitsTests.ExecuteAsync(connection, null, $"UPDATE jobs SET queue_seq = NULL WHERE display_name = 'due'");
            }

            await using var transaction = await connection.BeginTransactionAsync(Token);
            await OverlappingCommitsTests.ExecuteAsync(connection, transaction, "SET LOCAL plan_cache_mode = force_generic_plan");
            await using var scans = new NpgsqlCommand("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'jobs'", connection, transaction);
            var before = (long)(await scans.ExecuteScalarAsync(Token))!;
            await using var promote = new NpgsqlCommand($"SELECT promote_due('{T0:O}'::timestamptz, 100)", connection, transaction);
            (await promote.ExecuteScalarAsync(Token)).Should().Be(due ? 1 : 0);
            ((long)(await scans.ExecuteScalarAsync(Token))! - before).Should().Be(0L, $"the promotion ({(due ? "one job due" : "none due")}) reads no table");
            await transaction.RollbackAsync(Token);
        }
    }

    [Theory]
    [InlineData("timeout = 0", "timeout: 0 is not a timeout")]
    [InlineData("timeout = -5", "timeout: -5 is not a timeout")]
    [InlineData("idempotency_key = E'\\x01a\\x01q'", "idempotency_key:")]
    [InlineData("idempotency_key = ''", "idempotency_key: a key of 0 characters")]
    public async Task CorruptNewColumn_ReadOrClaimed_IsAClearErrorNamingTheJobAndTheColumn(string edit, string named)
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, new FakeTimeProvider(T0));
        var corrupt = Job("corrupt") with { Priority = 5 };
        var sound = Job("sound");
        await store.CreateManyAsync([corrupt, sound], Token);
        await using (var connection = new NpgsqlConnection(schema.ConnectionString))
        {
            await connection.OpenAsync(Token);
            await OverlappingCommitsTests.ExecuteAsync(connection, null, $"UPDATE jobs SET {edit} WHERE id = '{corrupt.Id}'");
        }

        (await FluentActions.Awaiting(() => store.GetAsync(corrupt.Id, Token).AsTask()).Should().ThrowExactlyAsync<JobTrackingException>())
            .Which.Message.Should().Contain($"job '{corrupt.Id}'").And.Contain(named);
        (await store.ClaimAsync(Claim(10), Token)).Select(j => j.Id).Should().Equal([sound.Id], "the row that cannot be read is not run, and does not stop the others");
        await using var check = new NpgsqlConnection(schema.ConnectionString);
        await check.OpenAsync(Token);
        await using var failed = new NpgsqlCommand($"SELECT status, error_message FROM jobs WHERE id = '{corrupt.Id}'", check);
        await using var reader = await failed.ExecuteReaderAsync(Token);
        await reader.ReadAsync(Token);
        (reader.GetInt16(0), reader.GetString(1)).Should().Match<(short Status, string Message)>(f => f.Status == (short)JobStatus.Failed && f.Message.Contains(named));
    }

    internal static JobRecord Job(string name) => new()
    {
        Id = Guid.CreateVersion7(),
        TypeName = "timed",
        DisplayName = name,
        Status = JobStatus.Queued,
        Version = 1,
        Parameters = "{}",
        CreatedAt = T0,
    };

    internal static JobClaimRequest Claim(int maxCount, string instance = "instance-a") =>
        new() { InstanceId = instance, Node = instance, MaxCount = maxCount, At = T0, LeaseDuration = TimeSpan.FromMinutes(10) };

    private static JobTransition Move(Guid id, JobStatus from, long version, JobStatus to) =>
        new() { JobId = id, FromStatus = from, ExpectedVersion = version, ToStatus = to, At = T0 };

    private static async Task<long?> QueueSeqAsync(TestSchema schema, Guid id)
    {
        await using var connection = new NpgsqlConnection(schema.ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand("SELECT queue_seq FROM jobs WHERE id = $1", connection) { Parameters = { new() { Value = id } } };
        return await command.ExecuteScalarAsync(Token) is long seq ? seq : null;
    }

    private static async Task<int> VersionAsync(TestSchema schema)
    {
        await using var connection = new NpgsqlConnection(schema.ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand("SELECT version FROM schema_version", connection);
        return (int)(await command.ExecuteScalarAsync(Token))!;
    }

    private static async Task<List<Guid>> HoldersAsync(TestSchema schema)
    {
        await using var connection = new NpgsqlConnection(schema.ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand("SELECT job_id FROM job_key_holds", connection);
        var holders = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            holders.Add(reader.GetGuid(0));
        }

        return holders;
    }
}
