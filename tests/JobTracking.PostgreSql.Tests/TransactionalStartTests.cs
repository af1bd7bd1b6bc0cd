using System.Collections.Concurrent;
using JobTracking.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>Jobs started, drafted and commanded in the application's own transaction: they exist once it commits, and leave no trace when it rolls back.</summary>
public sealed class TransactionalStartTests : IAsyncDisposable
{
    private readonly StepLog _steps = new();
    private readonly List<IHost> _hosts = [];
    private readonly List<NpgsqlConnection> _connections = [];
    private TestSchema? _schema;

    [Fact]
    public async Task StartAsync_InATransaction_IsInvisibleUntilTheCommit_ThenRunsOnce()
    {
        var (host, connection) = await StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var tracker = host.Services.GetRequiredService<IJobTracker>();

        Guid id;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await SaveOrderAsync(connection, transaction, 1);
            id = await runner.InTransaction(transaction).Job<StepJob>().StartAsync(new StepParameters { Steps = 2 }, new JobStartOptions { DisplayName = "Order 1" });

            // Neither this host nor any other connection sees the job before the commit.
            await FluentActions.Awaiting(async () => await tracker.GetAsync(id)).Should().ThrowAsync<JobNotFoundException>();
            (await CountAsync($"SELECT count(*) FROM {Schema.Name}.jobs WHERE id = '{id}'")).Should().Be(0);
            await transaction.CommitAsync();
        }

        var done = await runner.WaitForCompletionAsync(id);
        done.Status.Should().Be(JobStatus.Completed);
        done.DisplayName.Should().Be("Order 1");
        _steps.Of(id).Should().Equal(0, 1);
        (await CountAsync($"SELECT count(*) FROM {Schema.Name}.orders")).Should().Be(1);
    }

    [Fact]
    public async Task StartAsync_InATransactionRolledBack_LeavesNoJobNoFeedEntryNoEvent()
    {
        var (host, connection) = await StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var events = new ConcurrentQueue<JobEvent>();
        using var subscription = host.Services.GetRequiredService<IJobEvents>().Subscribe(e =>
        {
            events.Enqueue(e);
            return ValueTask.CompletedTask;
        });

        Guid rolledBack;
        IReadOnlyList<Guid> rolledBackMany;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await SaveOrderAsync(connection, transaction, 1);
            var inTransaction = runner.InTransaction(transaction);
            rolledBack = await inTransaction.Job<StepJob>().StartAsync(new StepParameters { Steps = 1 });
            rolledBackMany = await inTransaction.Job<StepJob>().StartManyAsync([new StepParameters { Steps = 1 }, new StepParameters { Steps = 1 }]);
            await transaction.RollbackAsync();
        }

        // A job started afterwards runs and is seen through the feed: the feed has moved past whatever the rollback could have left.
        var after = await runner.Job<StepJob>().StartAsync(new StepParameters { Steps = 1 });
        await runner.WaitForCompletionAsync(after);
        await Wait.UntilAsync(() => events.Any(e => e.JobId == after && e.Status == JobStatus.Completed), "the later job's completion event");

        Guid[] gone = [rolledBack, .. rolledBackMany];
        events.Should().NotContain(e => gone.Contains(e.JobId));
        foreach (var id in gone)
        {
            (await CountAsync($"SELECT count(*) FROM {Schema.Name}.jobs WHERE id = '{id}'")).Should().Be(0);
            (await CountAsync($"SELECT count(*) FROM {Schema.Name}.job_feed WHERE job_id = '{id}'")).Should().Be(0);
            _steps.Of(id).Should().BeEmpty();
        }

        (await CountAsync($"SELECT count(*) FROM {Schema.Name}.orders")).Should().Be(0);
    }

    [Fact]
    public async Task StartManyAsync_InATransaction_CommitsEveryJobWithTheApplicationsRows()
    {
        var (host, connection) = await StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        IReadOnlyList<Guid> ids;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await SaveOrderAsync(connection, transaction, 7);
            ids = await runner.InTransaction(transaction).Job<StepJob>().StartManyAsync(Enumerable.Range(1, 50).Select(_ => new StepParameters { Steps = 1 }).ToArray());
            await transaction.CommitAsync();
        }

        foreach (var id in ids)
        {
            (await runner.WaitForCompletionAsync(id)).Status.Should().Be(JobStatus.Completed);
            _steps.Of(id).Should().Equal(0);
        }
    }

    [Fact]
    public async Task ConcurrentApplicationTransactions_HalfRolledBack_ExactlyTheCommittedJobsExistAndRunOnce()
    {
        const int Transactions = 1000;
        var (host, _) = await StartAsync(maxConcurrency: 8);
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var commit = new bool[Transactions];
        var random = new Random(20261207);
        for (var i = 0; i < Transactions; i++)
        {
            commit[i] = random.Next(2) == 0;
        }

        var ids = new Guid[Transactions];
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var gate = new SemaphoreSlim(32);
        var work = Enumerable.Range(0, Transactions).Select(async i =>
        {
            await go.Task;
            await gate.WaitAsync();
            try
            {
                await using var connection = new NpgsqlConnection(Schema.ConnectionString);
                await connection.OpenAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await SaveOrderAsync(connection, transaction, i);
                ids[i] = await runner.InTransaction(transaction).Job<StepJob>().StartAsync(new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
                if (commit[i])
                {
                    await transaction.CommitAsync();
                }
                else
                {
                    await transaction.RollbackAsync();
                }
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        go.SetResult();
        await Task.WhenAll(work);

        var committed = Enumerable.Range(0, Transactions).Where(i => commit[i]).Select(i => ids[i]).ToHashSet();
        foreach (var id in committed)
        {
            (await runner.WaitForCompletionAsync(id)).Status.Should().Be(JobStatus.Completed);
        }

        var stored = await IdsAsync($"SELECT id FROM {Schema.Name}.jobs");
        stored.Should().BeEquivalentTo(committed, "exactly the jobs of the committed transactions exist");
        (await CountAsync($"SELECT count(*) FROM {Schema.Name}.orders")).Should().Be(committed.Count);
        foreach (var id in ids)
        {
            _steps.Of(id).Should().HaveCount(committed.Contains(id) ? 1 : 0, "a committed job runs once and a rolled-back one never");
        }
    }

    [Fact]
    public async Task ATransactionHeldOpen_HoldsUpNoOtherJob_OnAnyInstance()
    {
        var (starter, connection) = await StartAsync(maxConcurrency: 2, node: "starter");
        var worker = await StartHostAsync(maxConcurrency: 8, node: "worker");
        var runner = starter.Services.GetRequiredService<IJobRunner>();
        var other = worker.Services.GetRequiredService<IJobRunner>();
        await using var transaction = await connection.BeginTransactionAsync();
        var inTransaction = runner.InTransaction(transaction);
        var held = await inTransaction.Job<StepJob>().StartAsync(new StepParameters { Steps = 1 }, new JobStartOptions { ConcurrencyKey = "order-9", IdempotencyKey = "order-9" });
        await SaveOrderAsync(connection, transaction, 9);

        // While the application's transaction stays open, 300 other jobs start on both instances (one at a time, in bulk,
        // with keys of their own), run and finish.
        var others = new List<Guid>();
        for (var i = 0; i < 50; i++)
        {
            others.Add(await runner.Job<StepJob>().StartAsync(new StepParameters { Steps = 1, MillisecondsPerStep = 0 }, new JobStartOptions { IdempotencyKey = $"other-{i}" }));
            others.Add(await other.Job<StepJob>().StartAsync(new StepParameters { Steps = 1, MillisecondsPerStep = 0 }, new JobStartOptions { ConcurrencyKey = $"key-{i % 5}" }));
        }

        others.AddRange(await other.Job<StepJob>().StartManyAsync(Enumerable.Range(0, 200).Select(_ => new StepParameters { Steps = 1, MillisecondsPerStep = 0 }).ToArray()));
        foreach (var id in others)
        {
            (await other.WaitForCompletionAsync(id)).Status.Should().Be(JobStatus.Completed);
        }

        _steps.Of(held).Should().BeEmpty();
        await transaction.CommitAsync();
        (await other.WaitForCompletionAsync(held)).Status.Should().Be(JobStatus.Completed);
        _steps.Of(held).Should().Equal(0);
    }

    [Fact]
    public async Task AnotherInstance_HearsOfTheJobOnlyAfterTheCommit_AndRunsIt()
    {
        var (starter, connection) = await StartAsync(maxConcurrency: 1, node: "starter");
        var worker = await StartHostAsync(maxConcurrency: 4, node: "worker");
        var events = new ConcurrentQueue<JobEvent>();
        using var subscription = worker.Services.GetRequiredService<IJobEvents>().Subscribe(e =>
        {
            events.Enqueue(e);
            return ValueTask.CompletedTask;
        });
        var runner = starter.Services.GetRequiredService<IJobRunner>();

        await using var transaction = await connection.BeginTransactionAsync();
        var id = await runner.InTransaction(transaction).Job<StepJob>().StartAsync(new StepParameters { Steps = 1 });

        // A job started outside the transaction afterwards is seen and run by the worker; the one inside is not.
        var marker = await runner.Job<StepJob>().StartAsync(new StepParameters { Steps = 1 });
        await Wait.UntilAsync(() => events.Any(e => e.JobId == marker && e.Status == JobStatus.Completed), "the worker to run the job started outside the transaction");
        events.Should().NotContain(e => e.JobId == id);

        await transaction.CommitAsync();

        // Told by the writing process once it sees the commit: well before the 30 s poll of an instance that listens.
        await Wait.UntilAsync(() => events.Any(e => e.JobId == id && e.Status == JobStatus.Completed), "the worker to run the committed job", TimeSpan.FromSeconds(10));
        events.Where(e => e.JobId == id).Select(e => e.Status).Should().StartWith(JobStatus.Queued);
    }

    [Fact]
    public async Task DraftsAndCommands_InATransaction_CommitOrRollBackWithIt()
    {
        var (host, connection) = await StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        var waiting = await runner.Job<StepJob>().StartAsync(new StepParameters { Steps = 1 }, new JobStartOptions { RunAt = DateTimeOffset.UtcNow.AddHours(1) });
        var draft = await runner.Job<StepJob>().CreateDraftAsync(new StepParameters { Steps = 1 });

        // Rolled back: the cancel, the draft's edit and its submission are undone, and no history entry stays.
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var inTransaction = runner.InTransaction(transaction);
            await inTransaction.CancelAsync(waiting, new JobCommandOptions { Actor = "alice", Reason = "order deleted" });
            await inTransaction.UpdateDraftAsync(draft, new StepParameters { Steps = 2 }, "Edited");
            await transaction.RollbackAsync();
        }

        (await tracker.GetAsync(waiting)).Status.Should().Be(JobStatus.Queued);
        (await tracker.GetAsync(draft)).DisplayName.Should().NotBe("Edited");
        (await tracker.GetHistoryAsync(waiting)).Should().NotContain(h => h.Actor == "alice");

        // Committed: both happen, with the history entry of the cancel.
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var inTransaction = runner.InTransaction(transaction);
            await inTransaction.CancelAsync(waiting, new JobCommandOptions { Actor = "alice", Reason = "order deleted" });
            await inTransaction.SubmitAsync(draft);
            (await tracker.GetAsync(waiting)).Status.Should().Be(JobStatus.Queued, "nothing is visible before the commit");
            await transaction.CommitAsync();
        }

        (await tracker.GetAsync(waiting)).Status.Should().Be(JobStatus.Cancelled);
        (await tracker.GetHistoryAsync(waiting)).Should().Contain(h => h.Actor == "alice" && h.Reason == "order deleted");

        // The draft submitted in the transaction is claimed once the writing process sees the commit: well before the
        // poll (5 min here), or the listening instance's 30 s safety net.
        using var soon = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        (await runner.WaitForCompletionAsync(draft, soon.Token)).Status.Should().Be(JobStatus.Completed);
    }

    [Fact]
    public async Task ACommandOnARunningJob_InATransaction_IsRefused_AndTheRunGoesOn()
    {
        var (host, connection) = await StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        var id = await runner.Job<StepJob>().StartAsync(new StepParameters { Steps = 5000, MillisecondsPerStep = 2 });
        await Wait.UntilAsync(async () => (await tracker.GetAsync(id)).Progress.Done >= 2, "the job to make progress");

        // Its row would stay locked until the commit, holding up the run's own writes: refused, nothing written.
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var inTransaction = runner.InTransaction(transaction);
            await FluentActions.Awaiting(async () => await inTransaction.CancelAsync(id)).Should().ThrowAsync<JobTrackingException>().WithMessage($"*{id}*Running*after the commit*");
            await FluentActions.Awaiting(async () => await inTransaction.PauseAsync(id)).Should().ThrowAsync<JobTrackingException>().WithMessage("*active job*");
            await SaveOrderAsync(connection, transaction, 1);
            await transaction.CommitAsync();
        }

        var after = _steps.Of(id).Count;
        await Wait.UntilAsync(() => _steps.Of(id).Count >= after + 20, "the run to go on");
        (await tracker.GetAsync(id)).Status.Should().Be(JobStatus.Running);
        (await CountAsync($"SELECT count(*) FROM {Schema.Name}.orders")).Should().Be(1, "the refusal left the transaction usable");
        await runner.CancelAsync(id);
        (await runner.WaitForStatusAsync(id, JobStatus.Cancelled)).Status.Should().Be(JobStatus.Cancelled);
    }

    [Fact]
    public async Task BadInput_IsRefusedWithAClearError_AndTheTransactionGoesOn()
    {
        var (host, connection) = await StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await SaveOrderAsync(connection, transaction, 1);
            var inTransaction = runner.InTransaction(transaction);
            await FluentActions.Awaiting(async () => await inTransaction.StartAsync("NoSuchJob", new StepParameters())).Should().ThrowAsync<UnknownJobTypeException>();
            await FluentActions.Awaiting(async () => await inTransaction.Job<StepJob>().StartAsync(new StepParameters { Steps = 0 })).Should().ThrowAsync<JobParametersException>();
            await FluentActions.Awaiting(() => inTransaction.WaitForStatusAsync(Guid.NewGuid(), [JobStatus.Completed])).Should().ThrowAsync<InvalidOperationException>().WithMessage("*commit the transaction*");

            // Refused before anything was written: the application's transaction is still usable and commits its row.
            await transaction.CommitAsync();
        }

        (await CountAsync($"SELECT count(*) FROM {Schema.Name}.orders")).Should().Be(1);
        (await CountAsync($"SELECT count(*) FROM {Schema.Name}.jobs")).Should().Be(0);

        // A transaction that has ended, or whose connection was closed.
        var ended = await connection.BeginTransactionAsync();
        await ended.CommitAsync();
        FluentActions.Invoking(() => runner.InTransaction(ended)).Should().Throw<ArgumentException>().WithMessage("*has ended*");
        var kept = await connection.BeginTransactionAsync();
        var inKept = runner.InTransaction(kept);
        await kept.RollbackAsync();
        await FluentActions.Awaiting(async () => await inKept.Job<StepJob>().StartAsync(new StepParameters())).Should().ThrowAsync<ArgumentException>().WithMessage("*has ended*");
        await FluentActions.Awaiting(async () => await inKept.Job<StepJob>().StartManyAsync([new StepParameters()])).Should().ThrowAsync<ArgumentException>().WithMessage("*has ended*");
        (await CountAsync($"SELECT count(*) FROM {Schema.Name}.jobs")).Should().Be(0, "nothing is written outside the application's transaction");
        await using (var closed = new NpgsqlConnection(Schema.ConnectionString))
        {
            await closed.OpenAsync();
            var open = await closed.BeginTransactionAsync();
            var inClosed = runner.InTransaction(open);
            await closed.CloseAsync();
            await FluentActions.Awaiting(async () => await inClosed.Job<StepJob>().StartAsync(new StepParameters())).Should().ThrowAsync<ArgumentException>();
        }

        // A transaction on another database of the same server.
        var other = new NpgsqlConnectionStringBuilder(Schema.ConnectionString) { Database = "postgres" };
        await using var otherConnection = new NpgsqlConnection(other.ConnectionString);
        await otherConnection.OpenAsync();
        await using var otherTransaction = await otherConnection.BeginTransactionAsync();
        FluentActions.Invoking(() => runner.InTransaction(otherTransaction)).Should().Throw<ArgumentException>().WithMessage("*database 'postgres'*store's own database*");
        (await CountAsync($"SELECT count(*) FROM {Schema.Name}.jobs")).Should().Be(0);
    }

    [Fact]
    public async Task AWriteTheServerRefuses_ThrowsAndWritesNothing_AndTheTransactionGoesOn()
    {
        var (host, connection) = await StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        await using (var check = new NpgsqlCommand($"ALTER TABLE {Schema.Name}.jobs ADD CONSTRAINT no_refused CHECK (display_name <> 'refused')", connection))
        {
            await check.ExecuteNonQueryAsync();
        }

        Guid kept;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await SaveOrderAsync(connection, transaction, 1);
            var inTransaction = runner.InTransaction(transaction);
            await FluentActions.Awaiting(async () => await inTransaction.Job<StepJob>().StartAsync(new StepParameters { Steps = 1 }, new JobStartOptions { DisplayName = "refused" }))
                .Should().ThrowAsync<JobTrackingException>().WithMessage("*no_refused*Nothing was written*goes on as it was*");
            kept = await inTransaction.Job<StepJob>().StartAsync(new StepParameters { Steps = 1 }, new JobStartOptions { DisplayName = "kept" });
            await SaveOrderAsync(connection, transaction, 2);
            await transaction.CommitAsync();
        }

        (await CountAsync($"SELECT count(*) FROM {Schema.Name}.orders")).Should().Be(2);
        (await CountAsync($"SELECT count(*) FROM {Schema.Name}.jobs")).Should().Be(1);
        (await runner.WaitForCompletionAsync(kept)).Status.Should().Be(JobStatus.Completed);
    }

    [Fact]
    public async Task ADatabaseWithoutTheStoresTables_IsAClearError_AndTheTransactionGoesOn()
    {
        var (host, connection) = await StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        await using (var drop = new NpgsqlCommand($"ALTER TABLE {Schema.Name}.jobs RENAME TO jobs_elsewhere", connection))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await using var transaction = await connection.BeginTransactionAsync();
        await SaveOrderAsync(connection, transaction, 1);
        await FluentActions.Awaiting(async () => await runner.InTransaction(transaction).Job<StepJob>().StartAsync(new StepParameters { Steps = 1 }))
            .Should().ThrowAsync<JobTrackingException>().WithMessage($"*store's tables were not found*schema '{Schema.Name}'*Nothing was written*goes on*");
        await transaction.CommitAsync();
        (await CountAsync($"SELECT count(*) FROM {Schema.Name}.orders")).Should().Be(1);
    }

    [Fact]
    public async Task ARunnerOnAnotherStore_IsRefused()
    {
        PostgresServer.Require();
        using var host = new HostBuilder().ConfigureServices(s => s.AddSingleton(_steps).AddJobTracking(b => b.AddJob<StepJob>())).Build();
        await using var connection = new NpgsqlConnection(PostgresServer.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        FluentActions.Invoking(() => host.Services.GetRequiredService<IJobRunner>().InTransaction(transaction))
            .Should().Throw<InvalidOperationException>().WithMessage("*only on the PostgreSQL store*");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        foreach (var host in _hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }

        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }

    private TestSchema Schema => _schema!;

    private async Task<(IHost Host, NpgsqlConnection Connection)> StartAsync(int maxConcurrency = 4, string node = "pg-node")
    {
        PostgresServer.Require();
        _schema = await PostgresServer.NewSchemaAsync();
        var host = await StartHostAsync(maxConcurrency, node);
        await using (var create = new NpgsqlConnection(Schema.ConnectionString))
        {
            await create.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE TABLE {Schema.Name}.orders (number integer NOT NULL)", create);
            await command.ExecuteNonQueryAsync();
        }

        var connection = new NpgsqlConnection(Schema.ConnectionString);
        await connection.OpenAsync();
        _connections.Add(connection);
        return (host, connection);
    }

    private async Task<IHost> StartHostAsync(int maxConcurrency, string node)
    {
        var host = new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton(_steps);
                services.AddJobTracking(b => b
                    .AddJob<StepJob>()
                    .UsePostgreSql(Schema.ConnectionString, o => o.Schema = Schema.Name)
                    .Configure(o =>
                    {
                        o.NodeName = node;
                        o.MaxConcurrency = maxConcurrency;

                        // Nothing but the feed wakes an instance here: no poll, no heartbeat within a test's time.
                        o.PollInterval = TimeSpan.FromMinutes(5);
                        o.LeaseDuration = TimeSpan.FromMinutes(10);
                        o.HeartbeatInterval = TimeSpan.FromMinutes(2);
                    }));
            })
            .Build();
        _hosts.Add(host);
        await host.StartAsync();
        return host;
    }

    private async Task SaveOrderAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int number)
    {
        await using var command = new NpgsqlCommand($"INSERT INTO {Schema.Name}.orders (number) VALUES ($1)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = number });
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Schema.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<HashSet<Guid>> IdsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Schema.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }
}
