using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobTracking.PostgreSql.Tests;

/// <summary>The tests that restart the server: alone, after the others, since every connection of the run drops.</summary>
[CollectionDefinition(nameof(ServerRestart), DisableParallelization = true)]
public sealed class ServerRestart;

/// <summary>The server restarted mid-run (<c>pg_ctl restart</c>): instances reconnect and nothing acknowledged is lost.</summary>
[Collection(nameof(ServerRestart))]
public sealed class ServerRestartTests(ITestOutputHelper output) : IAsyncDisposable
{
    private readonly StepLog _steps = new();
    private TestSchema? _schema;

    [Fact]
    public async Task ServerRestartedMidRun_EveryJobCompletes_NoneLostNoneTwice()
    {
        PostgresServer.Require();
        var restart = Environment.GetEnvironmentVariable("JOBTRACKING_POSTGRES_RESTART");
        Requires.That(!string.IsNullOrWhiteSpace(restart), "JOBTRACKING_POSTGRES_RESTART is not set: this test restarts the server with it; `eval \"$(bash .ci/postgres.sh start)\"` sets it.");
        _schema = await PostgresServer.NewSchemaAsync();
        using var host = new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton(_steps);
                services.AddJobTracking(b => b
                    .AddJob<StepJob>()
                    .UsePostgreSql(_schema.ConnectionString, o => o.Schema = _schema.Name)
                    .Configure(o =>
                    {
                        o.MaxConcurrency = 4;
                        o.CheckpointInterval = TimeSpan.Zero;
                        o.ProgressInterval = TimeSpan.FromMilliseconds(10);
                        o.TransientRetryCount = 30;
                        o.TransientRetryMaxDelay = TimeSpan.FromSeconds(1);
                    }));
            })
            .Build();
        await host.StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var ids = await runner.StartManyAsync(nameof(StepJob), Enumerable.Range(0, 200).Select(_ => new StepParameters { Steps = 5, MillisecondsPerStep = 3 }).ToList());
        await Wait.UntilAsync(() => ids.Count(id => _steps.Of(id).Count > 0) >= 10, "some jobs to run");

        var clock = Stopwatch.StartNew();
        using (var process = Process.Start(new ProcessStartInfo("bash", ["-c", restart!]) { RedirectStandardError = true }))
        {
            await process!.WaitForExitAsync();
            process.ExitCode.Should().Be(0, await process.StandardError.ReadToEndAsync());
        }

        output.WriteLine($"Server restarted in {clock.ElapsedMilliseconds} ms.");
        foreach (var id in ids)
        {
            (await runner.WaitForCompletionAsync(id)).Status.Should().Be(JobStatus.Completed);
            _steps.Of(id).Should().Equal([0, 1, 2, 3, 4], "the jobs ran on through the restart, each step once");
        }

        output.WriteLine($"Every job completed {clock.ElapsedMilliseconds} ms after the restart began.");
        await host.StopAsync();
    }

    /// <summary>
    /// The change numbered last before a restart loses its number (as a crash loses a numbering step whose commit was not
    /// flushed yet): after the restart it is numbered again above every number handed out before, so a reader that had
    /// read to the end finds it, and new changes after it.
    /// </summary>
    [Fact]
    public async Task ServerRestarted_ChangeWhoseNumberWasLost_IsNumberedAboveEveryNumberReadBefore()
    {
        PostgresServer.Require();
        var restart = Environment.GetEnvironmentVariable("JOBTRACKING_POSTGRES_RESTART");
        Requires.That(!string.IsNullOrWhiteSpace(restart), "JOBTRACKING_POSTGRES_RESTART is not set: this test restarts the server with it; `eval \"$(bash .ci/postgres.sh start)\"` sets it.");
        _schema = await PostgresServer.NewSchemaAsync();
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(_schema, null);
        var first = OverlappingCommitsTests.NewJob("first");
        var lost = OverlappingCommitsTests.NewJob("numbered, then its number lost");
        await store.CreateAsync(first);
        await store.CreateAsync(lost);
        var readTo = (await OverlappingCommitsTests.ReadAllAsync(store, 0))[^1].Sequence;
        await using (var connection = new Npgsql.NpgsqlConnection(_schema.ConnectionString))
        {
            await connection.OpenAsync();
            await OverlappingCommitsTests.ExecuteAsync(connection, null, $"UPDATE job_feed SET seq = NULL WHERE job_id = '{lost.Id}'");
        }

        using (var process = Process.Start(new ProcessStartInfo("bash", ["-c", restart!]) { RedirectStandardError = true }))
        {
            await process!.WaitForExitAsync();
            process.ExitCode.Should().Be(0, await process.StandardError.ReadToEndAsync());
        }

        var after = OverlappingCommitsTests.NewJob("after the restart");
        await Wait.UntilAsync(async () =>
        {
            try
            {
                await store.CreateAsync(after);
                return true;
            }
            catch (Exception ex) when (store.IsTransient(ex))
            {
                return false;
            }
        }, "the store to write again after the restart");

        var changes = await OverlappingCommitsTests.ReadAllAsync(store, readTo);
        changes.Select(c => c.JobId).Should().Equal([lost.Id, after.Id], "the change whose number was lost is numbered again, before the new one, above what was read");
        changes.Should().OnlyContain(c => c.Sequence > readTo + uint.MaxValue, "numbers jump past every number handed out before the restart");
    }

    /// <summary>The feed keeps its retention across a restart: the numbers' jump does not make the changes before it look old enough to trim.</summary>
    [Fact]
    public async Task ServerRestarted_FeedTrimmedAfterIt_KeepsTheChangesWithinItsRetention()
    {
        PostgresServer.Require();
        var restart = Environment.GetEnvironmentVariable("JOBTRACKING_POSTGRES_RESTART");
        Requires.That(!string.IsNullOrWhiteSpace(restart), "JOBTRACKING_POSTGRES_RESTART is not set: this test restarts the server with it; `eval \"$(bash .ci/postgres.sh start)\"` sets it.");
        _schema = await PostgresServer.NewSchemaAsync();
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(_schema, null, new PostgreSqlJobStoreOptions { Schema = _schema.Name, FeedRetention = 1_000, WriteConnections = 1 });
        for (var i = 0; i < 40; i++)
        {
            await store.CreateAsync(OverlappingCommitsTests.NewJob($"before {i}"));
        }

        using (var process = Process.Start(new ProcessStartInfo("bash", ["-c", restart!]) { RedirectStandardError = true }))
        {
            await process!.WaitForExitAsync();
            process.ExitCode.Should().Be(0, await process.StandardError.ReadToEndAsync());
        }

        // 64 batches that record changes make a trim; each create here is a batch of its own.
        for (var i = 0; i < 80; i++)
        {
            var job = OverlappingCommitsTests.NewJob($"after {i}");
            await Wait.UntilAsync(async () =>
            {
                try
                {
                    await store.CreateAsync(job);
                    return true;
                }
                catch (Exception ex) when (store.IsTransient(ex))
                {
                    return false;
                }
            }, "the store to write again after the restart");
        }

        (await OverlappingCommitsTests.ReadAllAsync(store, 0)).Should().HaveCount(120, "120 changes are within a retention of 1,000");
    }

    public async ValueTask DisposeAsync()
    {
        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }
}
