using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using JobTracking.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>Real Generic Hosts on one PostgreSQL schema: what one instance stores, runs and decides, the others see and obey.</summary>
public sealed class PostgreSqlHostTests(ITestOutputHelper output) : IAsyncDisposable
{
    private readonly StepLog _steps = new();
    private TestSchema? _schema;

    [Fact]
    public async Task Jobs_SurviveAHostRestart_WithReportLogRejectsAndDrafts()
    {
        var schema = await SchemaAsync();
        Guid done, paused, draft;
        using (var first = BuildHost(schema))
        {
            await first.StartAsync();
            var runner = first.Services.GetRequiredService<IJobRunner>();
            done = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 3, RejectAt = 1, RejectWithNul = true }, new JobStartOptions { DisplayName = "Import « produits » ✓ \0 '; DROP TABLE jobs; --", LaunchedBy = "émilie" });
            await runner.WaitForCompletionAsync(done);
            paused = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 40, MillisecondsPerStep = 20 }, new JobStartOptions { DisplayName = "Held" });
            await WaitForProgressAsync(first, paused, 3);
            await runner.PauseAsync(paused);
            await runner.WaitForStatusAsync(paused, JobStatus.Paused);
            draft = await runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1 }, new JobStartOptions { DisplayName = "Draft" });
            await first.StopAsync();
        }

        using var second = BuildHost(schema);
        await second.StartAsync();
        var tracker = second.Services.GetRequiredService<IJobTracker>();
        var report = await tracker.GetAsync(done);
        report.Status.Should().Be(JobStatus.Completed);
        report.DisplayName.Should().Be("Import « produits » ✓ \0 '; DROP TABLE jobs; --");
        report.LaunchedBy.Should().Be("émilie");
        report.Progress.Should().Be(new JobProgress(3, 3));
        report.Steps.Select(s => (s.Name, s.Status)).Should().Equal(("work", JobStepStatus.Completed));
        report.WarningCount.Should().BeGreaterThan(0);
        (await tracker.GetLogAsync(done)).Items.Select(l => l.Message).Should().Contain(["step 0 done", "step 1 done", "step 2 done"]);
        (await tracker.GetRejectsAsync(done)).Items.Should().ContainSingle().Which.RawRecord.Should().Be("row 1;\"bad\"\0\r\n");
        (await tracker.GetAsync(draft)).Status.Should().Be(JobStatus.Editing);
        (await tracker.LastOperationsAsync(10)).Select(j => j.Id).Should().Equal(draft, paused, done);

        var runner2 = second.Services.GetRequiredService<IJobRunner>();
        await runner2.ResumeAsync(paused);
        (await runner2.WaitForCompletionAsync(paused)).Status.Should().Be(JobStatus.Completed);
        _steps.Of(paused).Should().Equal(Enumerable.Range(0, 40), "the job resumed from its checkpoint in the new host and ran each step once");
        await second.StopAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PauseResumeAndCancel_IssuedOnOneInstance_ReachTheJobRunningOnAnother(bool listen)
    {
        var schema = await SchemaAsync();
        using var runs = BuildHost(schema, listen: listen, node: "runs");
        await runs.StartAsync();
        var id = await runs.Services.GetRequiredService<IJobRunner>().StartAsync(nameof(StepJob), new StepParameters { Steps = 2000, MillisecondsPerStep = 5 });
        await WaitForProgressAsync(runs, id, 2);

        // The second instance starts once the job is running on the first, so it can only steer it from afar.
        using var steers = BuildHost(schema, listen: listen, node: "steers");
        await steers.StartAsync();
        var events = new ConcurrentQueue<JobEvent>();
        using var subscription = steers.Services.GetRequiredService<IJobEvents>().Subscribe(e =>
        {
            if (e.JobId == id && e.Kind == JobEventKind.StatusChanged)
            {
                events.Enqueue(e);
            }

            return ValueTask.CompletedTask;
        });
        var runner = steers.Services.GetRequiredService<IJobRunner>();
        var tracker = steers.Services.GetRequiredService<IJobTracker>();
        (await tracker.GetAsync(id)).Node.Should().Be("runs");

        var clock = Stopwatch.StartNew();
        await runner.PauseAsync(id);
        await runner.WaitForStatusAsync(id, JobStatus.Paused);
        output.WriteLine($"LISTEN {(listen ? "on" : "off")}: pause issued on 'steers' reached the job on 'runs' and was stored Paused in {clock.ElapsedMilliseconds} ms.");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "a pause reaches the running instance within a poll interval (1 s) even without a notification");
        var pausedAt = _steps.Of(id).Count;

        await runner.ResumeAsync(id);
        await Wait.UntilAsync(() => _steps.Of(id).Count > pausedAt + 2, "the resumed job to run on");
        clock.Restart();
        await runner.CancelAsync(id);
        var cancelled = await runner.WaitForCompletionAsync(id);
        output.WriteLine($"Cancel issued on 'steers' stored Cancelled in {clock.ElapsedMilliseconds} ms.");
        cancelled.Status.Should().Be(JobStatus.Cancelled);

        await Wait.UntilAsync(() => events.Any(e => e.Status == JobStatus.Cancelled), "the second instance to hear the job was cancelled");
        var versions = events.Select(e => e.Version).ToList();
        versions.Should().BeInAscendingOrder("events reach every instance in order per job").And.OnlyHaveUniqueItems();
        events.Select(e => e.Status).Should().ContainInOrder(JobStatus.Pausing, JobStatus.Paused, JobStatus.Queued, JobStatus.Cancelling, JobStatus.Cancelled);
        _steps.Of(id).Should().OnlyHaveUniqueItems("no step ran twice across the two instances");
        await steers.StopAsync();
        await runs.StopAsync();
    }

    [Fact]
    public async Task TwoInstances_ShareTheQueue_EachJobRunsOnce()
    {
        var schema = await SchemaAsync();
        using var a = BuildHost(schema, node: "a");
        using var b = BuildHost(schema, node: "b");
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        var runner = a.Services.GetRequiredService<IJobRunner>();
        var ids = await runner.StartManyAsync(nameof(StepJob), Enumerable.Range(0, 300).Select(_ => new StepParameters { Steps = 2, MillisecondsPerStep = 1 }).ToList());
        foreach (var id in ids)
        {
            (await runner.WaitForCompletionAsync(id)).Status.Should().Be(JobStatus.Completed);
        }

        var nodes = new Dictionary<string, int>();
        foreach (var id in ids)
        {
            _steps.Of(id).Should().Equal([0, 1], "each job ran once, step by step");
            var node = (await a.Services.GetRequiredService<IJobTracker>().GetAsync(id)).Node!;
            nodes[node] = nodes.GetValueOrDefault(node) + 1;
        }

        output.WriteLine($"Jobs per instance: {string.Join(", ", nodes.Select(n => $"{n.Key} {n.Value}"))}.");
        nodes.Keys.Should().BeEquivalentTo(["a", "b"], "both instances took work from the one queue");
        await Task.WhenAll(a.StopAsync(), b.StopAsync());
    }

    [Fact]
    public async Task ClusterTypeLimit_HoldsAcrossInstances()
    {
        var schema = await SchemaAsync();
        var gauge = new ConcurrencyGauge();
        IHost Build(string node) => new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton(gauge);
                services.AddJobTracking(b => b
                    .AddJob<PgGaugedJob>()
                    .UsePostgreSql(schema.ConnectionString, o =>
                    {
                        o.Schema = schema.Name;
                        o.ClusterJobTypeConcurrency[nameof(PgGaugedJob)] = 2;
                    })
                    .Configure(o =>
                    {
                        o.NodeName = node;
                        o.MaxConcurrency = 4;
                    }));
            })
            .Build();
        using var a = Build("a");
        using var b = Build("b");
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        var runner = a.Services.GetRequiredService<IJobRunner>();
        var ids = await runner.StartManyAsync(nameof(PgGaugedJob), Enumerable.Range(0, 24).Select(_ => new StepParameters { Steps = 1, MillisecondsPerStep = 30 }).ToList());
        foreach (var id in ids)
        {
            (await runner.WaitForCompletionAsync(id)).Status.Should().Be(JobStatus.Completed);
        }

        output.WriteLine($"At most {gauge.Max} ran at once across two instances of 4 slots each.");
        gauge.Max.Should().Be(2, "the cluster-wide limit of the type is 2, though each instance has 4 free slots");
        await Task.WhenAll(a.StopAsync(), b.StopAsync());
    }

    [Fact]
    public async Task ConnectionsKilledMidRun_InstancesReconnect_AndNoJobIsLostOrRunTwice()
    {
        var schema = await SchemaAsync();
        using var host = BuildHost(schema, node: "survivor", configure: o => o.TransientRetryCount = 20);
        await host.StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var ids = new List<Guid>();
        for (var i = 0; i < 100; i++)
        {
            ids.Add(await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 5, MillisecondsPerStep = 2 }));
        }

        await Wait.UntilAsync(() => ids.Count(id => _steps.Of(id).Count > 0) >= 10, "some jobs to run");

        // Every connection of the store's pools (the fixture names them after the schema) is killed by the server.
        var killed = await KillConnectionsAsync(schema);
        output.WriteLine($"{killed} connections killed mid-run.");
        killed.Should().BeGreaterThan(0);
        for (var i = 0; i < 100; i++)
        {
            ids.Add(await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 5, MillisecondsPerStep = 2 }));
        }

        foreach (var id in ids)
        {
            (await runner.WaitForCompletionAsync(id)).Status.Should().Be(JobStatus.Completed);
            _steps.Of(id).Should().OnlyHaveUniqueItems("a step runs again only from a checkpoint, and nothing was interrupted here");
        }

        await host.StopAsync();
    }

    [Fact]
    public async Task StartUp_RefusesASchemaOfANewerVersion_NamingBothVersions()
    {
        var schema = await SchemaAsync();
        await using (var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null))
        {
        }

        await using (var connection = new NpgsqlConnection(schema.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"UPDATE \"{schema.Name}\".schema_version SET version = 99", connection);
            await command.ExecuteNonQueryAsync();
        }

        using var host = BuildHost(schema);
        var start = () => host.StartAsync();
        (await start.Should().ThrowAsync<JobTrackingException>()).Which.Message.Should().Contain("schema version 99").And.Contain($"up to {PostgreSql.Storage.PgSchema.CurrentVersion}").And.Contain(schema.Name);
    }

    [Fact]
    public async Task TenInstancesStartingAtOnce_MigrateTheSchemaOnce()
    {
        var schema = await SchemaAsync();
        using var gate = new Barrier(10);
        var opening = Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            gate.SignalAndWait();
            return await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null);
        })).ToList();
        var stores = await Task.WhenAll(opening);
        try
        {
            await using var connection = new NpgsqlConnection(schema.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{schema.Name}\".schema_version", connection);
            ((long)(await command.ExecuteScalarAsync())!).Should().Be(1, "one instance created the schema; the others waited on the lock and found it current");
            var job = new JobRecord { Id = Guid.NewGuid(), TypeName = "t", DisplayName = "d", Status = JobStatus.Queued, Version = 1, Parameters = "{}", CreatedAt = DateTimeOffset.UtcNow };
            await stores[3].CreateAsync(job);
            (await stores[7].GetAsync(job.Id)).Should().NotBeNull();
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public void Options_OutOfRange_AreRefusedAtRegistration_NamingTheOption()
    {
        var services = new ServiceCollection();
        var bad = () => services.AddJobTracking(b => b.UsePostgreSql("Host=127.0.0.1", o => o.Schema = "Jobs; DROP"));
        bad.Should().Throw<ArgumentException>().WithMessage("*PostgreSqlJobStoreOptions.Schema*");
        var poll = () => services.AddJobTracking(b => b.UsePostgreSql("Host=127.0.0.1", o => o.PollInterval = TimeSpan.Zero));
        poll.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*PollInterval*");
        var malformed = () => services.AddJobTracking(b => b.UsePostgreSql("Host=127.0.0.1;Nonsense Key=1"));
        malformed.Should().Throw<ArgumentException>().WithMessage("*connection string is malformed*");
    }

    public async ValueTask DisposeAsync()
    {
        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }

    [Fact]
    public async Task Instances_TwoHostsOnOneSchema_AreBothListedByTheDatabaseClock_AndOneStoppedIsGone()
    {
        var schema = await SchemaAsync();
        using var first = BuildHost(schema, node: "first", configure: o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(200));
        using var second = BuildHost(schema, node: "second", configure: o => { o.HeartbeatInterval = TimeSpan.FromMilliseconds(200); o.MaxConcurrency = 2; });
        await first.StartAsync();
        await second.StartAsync();
        var tracker = first.Services.GetRequiredService<IJobTracker>();
        var runner = first.Services.GetRequiredService<IJobRunner>();
        var id = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 2000, MillisecondsPerStep = 5 });
        await WaitForProgressAsync(first, id, 2);
        var node = (await tracker.GetAsync(id)).Node;

        await Wait.UntilAsync(async () => (await tracker.GetInstancesAsync()).Sum(i => i.RunningJobs) == 1, "a heartbeat with the running job");
        var listed = await tracker.GetInstancesAsync();

        listed.Select(i => (i.Node, i.IsCurrent, i.IsAnswering, i.MaxConcurrency)).Should().Equal(("first", true, true, 4), ("second", false, true, 2));
        listed.Single(i => i.RunningJobs == 1).Node.Should().Be(node, "the instance running the job counts it");
        listed.Should().OnlyContain(i => i.SilentFor < TimeSpan.FromSeconds(5) && i.LastHeartbeatAt >= i.StartedAt && i.Version.Length > 0);
        (await second.Services.GetRequiredService<IJobTracker>().GetInstancesAsync()).Single(i => i.IsCurrent).Node.Should().Be("second");

        await runner.CancelAsync(id);
        await runner.WaitForStatusAsync(id, JobStatus.Cancelled);
        await second.StopAsync();
        (await tracker.GetInstancesAsync()).Select(i => i.Node).Should().Equal(["first"], "an instance that stops cleanly takes itself off the list");
        await first.StopAsync();
        (await tracker.GetInstancesAsync()).Should().BeEmpty();
    }

    private async Task<TestSchema> SchemaAsync()
    {
        PostgresServer.Require();
        return _schema = await PostgresServer.NewSchemaAsync();
    }

    private static async Task<int> KillConnectionsAsync(TestSchema schema)
    {
        await using var connection = new NpgsqlConnection(PostgresServer.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = schema.Name });
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    private IHost BuildHost(TestSchema schema, bool listen = true, string node = "pg-node", Action<JobTrackingOptions>? configure = null)
    {
        _steps.NextHost();
        return new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton(_steps);
                services.AddJobTracking(b => b
                    .AddJob<StepJob>()
                    .UsePostgreSql(schema.ConnectionString, o =>
                    {
                        o.Schema = schema.Name;
                        o.UseListenNotify = listen;
                    })
                    .Configure(o =>
                    {
                        o.NodeName = node;
                        o.MaxConcurrency = 4;
                        o.CheckpointInterval = TimeSpan.Zero;
                        o.ProgressInterval = TimeSpan.FromMilliseconds(10);
                        o.PollInterval = TimeSpan.FromMilliseconds(200);
                        configure?.Invoke(o);
                    }));
            })
            .Build();
    }

    private static Task WaitForProgressAsync(IHost host, Guid id, long done)
    {
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        return Wait.UntilAsync(async () => (await tracker.GetAsync(id)).Progress.Done >= done, $"job {id} to store progress {done}");
    }
}

/// <summary>How many jobs run at once, and the most that ever did.</summary>
public sealed class ConcurrencyGauge
{
    private int _now;
    private int _max;

    public int Max => Volatile.Read(ref _max);

    public IDisposable Enter()
    {
        var now = Interlocked.Increment(ref _now);
        int max;
        while (now > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, max) != max)
        {
        }

        return new Exit(this);
    }

    private sealed class Exit(ConcurrencyGauge gauge) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref gauge._now);
    }
}

public sealed class PgGaugedJob(ConcurrencyGauge gauge) : JobDefinition<StepParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<StepParameters> context)
    {
        using (gauge.Enter())
        {
            await Task.Delay(context.Parameters.MillisecondsPerStep, context.CancellationToken);
        }
    }
}
