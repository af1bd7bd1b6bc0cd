using System.Diagnostics;
using JobTracking.Storage;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>
/// Write transactions of several connections and instances commit at the same time (no lock is held through a commit):
/// the change feed must still be read in one order every reader agrees on, never skip a change that committed late,
/// not wait for unrelated transactions, and claims must still keep concurrency keys and type limits across the cluster.
/// </summary>
[Trait("Category", "PostgreSql")]
public sealed class OverlappingCommitsTests(ITestOutputHelper output)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>
    /// A transaction that stores its change first (its feed row is inserted before any other) and commits last, after
    /// other writers' changes were committed and read: a reader that has read to the end finds it after what it read,
    /// with a larger number.
    /// </summary>
    [Fact]
    public async Task Feed_ChangeStoredFirstAndCommittedLast_IsReadAfterEverythingReadBefore()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null);
        var late = NewJob("late");
        await store.CreateAsync(late, Token);

        // The late transaction: a change of the job stored (as the store's statements store it) and held open.
        await using var connection = new NpgsqlConnection(schema.ConnectionString);
        await connection.OpenAsync(Token);
        await using var transaction = await connection.BeginTransactionAsync(Token);
        await ExecuteAsync(connection, transaction, $"""
            INSERT INTO job_feed ({FeedColumns}) SELECT id, 3, type_name, display_name, launched_by, status, status, version, attempt, now(),
                progress_done, progress_total, warning_count, NULL, NULL, NULL, NULL FROM jobs WHERE id = '{late.Id}'
            """);

        // Meanwhile others commit, and a reader reads every change to the end.
        for (var i = 0; i < 20; i++)
        {
            await store.CreateAsync(NewJob($"meanwhile {i}"), Token);
        }

        var before = await ReadAllAsync(store, 0);
        before.Should().HaveCount(21).And.OnlyContain(c => c.Kind == JobEventKind.Created);
        var readTo = before[^1].Sequence;

        await transaction.CommitAsync(Token);
        await store.CreateAsync(NewJob("after"), Token);

        var after = await ReadAllAsync(store, readTo);
        after.Should().Contain(c => c.JobId == late.Id && c.Kind == JobEventKind.DraftEdited, "the change committed last is read after what was read before it");
        after.Should().OnlyContain(c => c.Sequence > readTo);
        (await ReadAllAsync(store, 0)).Select(c => c.Sequence).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems().And.HaveCount(23);
    }

    /// <summary>
    /// Three instances with four write connections each create and move jobs from many callers while a reader follows
    /// the feed: the numbers it reads only grow, and at the end it has read every change once, each job's changes in
    /// version order.
    /// </summary>
    [Fact]
    public async Task Feed_WritersOnSeveralConnectionsAndInstances_ReaderNeverFindsASmallerNumberLater()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var stores = new List<PostgreSqlJobStore>();
        for (var i = 0; i < 3; i++)
        {
            stores.Add(await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null, new PostgreSqlJobStoreOptions { Schema = schema.Name, WriteConnections = 4 }));
        }

        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
            var seen = new List<JobChange>();
            var reader = Task.Run(async () =>
            {
                var buffer = new JobChange[64];
                long position = 0;
                while (true)
                {
                    var read = await stores[0].ReadFeedAsync(position, buffer, Token);
                    for (var i = 0; i < read.Count; i++)
                    {
                        buffer[i].Sequence.Should().BeGreaterThan(position, "a reader never finds a number at or below one it has read");
                        position = buffer[i].Sequence;
                        seen.Add(buffer[i]);
                    }

                    if (read.Count == 0)
                    {
                        if (stop.IsCancellationRequested)
                        {
                            return;
                        }

                        try
                        {
                            await stores[0].WaitForChangesAsync(position, stop.Token);
                        }
                        catch (OperationCanceledException) when (stop.IsCancellationRequested)
                        {
                        }
                    }
                }
            }, Token);

            // 48 callers over the three instances: each creates a job, then runs it through three moves.
            var callers = Enumerable.Range(0, 48).Select(c => Task.Run(async () =>
            {
                var store = stores[c % stores.Count];
                for (var n = 0; n < 10; n++)
                {
                    var job = NewJob($"caller {c} job {n}") with { Status = JobStatus.Editing };
                    await store.CreateAsync(job, Token);
                    (await store.TryTransitionAsync(Move(job.Id, JobStatus.Editing, 1, JobStatus.Queued), Token)).Should().BeTrue();
                    (await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 2, JobStatus.Paused), Token)).Should().BeTrue();
                    (await store.TryTransitionAsync(Move(job.Id, JobStatus.Paused, 3, JobStatus.Cancelled), Token)).Should().BeTrue();
                }
            }, Token)).ToArray();
            await Task.WhenAll(callers);
            await stop.CancelAsync();
            await reader;

            seen.Should().HaveCount(48 * 10 * 4, "every change is read once");
            seen.Select(c => c.Sequence).Should().OnlyHaveUniqueItems();
            foreach (var job in seen.GroupBy(c => c.JobId))
            {
                job.Select(c => c.Version).Should().Equal([1, 2, 3, 4], $"job {job.Key:N}'s changes are read in version order");
            }

            var all = await ReadAllAsync(stores[2], 0);
            all.Select(c => c.Sequence).Should().Equal(seen.Select(c => c.Sequence), "every reader agrees on the order");
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A transaction that has written something and stays open (an application's, in another table) does not hold the
    /// feed back: a change stored meanwhile is read at once, and the write that stored it returned without waiting.
    /// </summary>
    [Fact]
    public async Task Feed_UnrelatedTransactionLeftOpen_DoesNotDelayTheFeedOrTheWrites()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null);
        await store.CreateAsync(NewJob("first"), Token);

        await using var connection = new NpgsqlConnection(schema.ConnectionString);
        await connection.OpenAsync(Token);
        await ExecuteAsync(connection, null, "CREATE TABLE application_rows (id int)");
        await using var transaction = await connection.BeginTransactionAsync(Token);
        await ExecuteAsync(connection, transaction, "INSERT INTO application_rows VALUES (1)");

        var clock = Stopwatch.StartNew();
        var job = NewJob("while the other transaction is open");
        await store.CreateAsync(job, Token);
        var wrote = clock.Elapsed;
        var changes = await ReadAllAsync(store, 0);
        var read = clock.Elapsed;
        output.WriteLine($"Stored in {wrote.TotalMilliseconds:N1} ms, read back after {read.TotalMilliseconds:N1} ms, with a writing transaction open.");

        changes.Should().Contain(c => c.JobId == job.Id, "the feed is not held back by a transaction it has nothing to do with");
        wrote.Should().BeLessThan(TimeSpan.FromSeconds(5), "the write did not wait for the other transaction");
        await transaction.RollbackAsync(Token);
    }

    /// <summary>
    /// Claims of three instances racing for jobs of a type limited across the cluster to two active: however the
    /// claims' commits overlap, never more than two are active at once.
    /// </summary>
    [Fact]
    public async Task Claim_ClusterTypeLimitWithClaimsOfThreeInstancesRacing_IsNeverExceeded()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var stores = new List<PostgreSqlJobStore>();
        for (var i = 0; i < 3; i++)
        {
            var options = new PostgreSqlJobStoreOptions { Schema = schema.Name };
            options.ClusterJobTypeConcurrency["limited"] = 2;
            stores.Add(await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null, options));
        }

        try
        {
            for (var round = 0; round < 10; round++)
            {
                var jobs = Enumerable.Range(0, 12).Select(i => NewJob($"round {round} #{i}") with { TypeName = "limited" }).ToArray();
                await stores[0].CreateManyAsync(jobs, Token);
                using var barrier = new Barrier(6);
                var claims = Enumerable.Range(0, 6).Select(w => Task.Factory.StartNew(
                    () =>
                    {
                        barrier.SignalAndWait(Token);
                        return stores[w % 3].ClaimAsync(Claim($"instance-{w % 3}", 3), Token).AsTask();
                    },
                    Token,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default).Unwrap()).ToArray();
                var claimed = (await Task.WhenAll(claims)).SelectMany(c => c).ToList();

                claimed.Should().HaveCount(2, $"two jobs of the type may be active across the cluster (round {round})");
                foreach (var job in jobs)
                {
                    var stored = (await stores[0].GetAsync(job.Id, Token))!;
                    await stores[0].TryTransitionAsync(Move(job.Id, stored.Status, stored.Version, stored.Status == JobStatus.Running ? JobStatus.Completed : JobStatus.Cancelled) with { ClaimId = stored.ClaimId }, Token);
                }
            }
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    internal const string FeedColumns =
        "job_id, kind, type_name, display_name, launched_by, previous_status, status, version, attempt, at, progress_done, progress_total, " +
        "warning_count, error_type, error_message, error_stack, instance_id";

    internal static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(Token);
    }

    internal static async Task<List<JobChange>> ReadAllAsync(IJobFeedStore store, long after)
    {
        var all = new List<JobChange>();
        var buffer = new JobChange[100];
        while (true)
        {
            var read = await store.ReadFeedAsync(after, buffer, Token);
            if (read.Count == 0)
            {
                return all;
            }

            all.AddRange(buffer.Take(read.Count));
            after = buffer[read.Count - 1].Sequence;
        }
    }

    internal static JobRecord NewJob(string name) => new()
    {
        Id = Guid.CreateVersion7(),
        TypeName = "overlapping",
        DisplayName = name,
        Status = JobStatus.Queued,
        Version = 1,
        Parameters = "{}",
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private static JobTransition Move(Guid id, JobStatus from, long version, JobStatus to) =>
        new() { JobId = id, FromStatus = from, ExpectedVersion = version, ToStatus = to, At = DateTimeOffset.UtcNow };

    private static JobClaimRequest Claim(string instance, int maxCount) => new()
    {
        InstanceId = instance,
        Node = instance,
        MaxCount = maxCount,
        At = DateTimeOffset.UtcNow,
        LeaseDuration = TimeSpan.FromMinutes(1),
    };
}
