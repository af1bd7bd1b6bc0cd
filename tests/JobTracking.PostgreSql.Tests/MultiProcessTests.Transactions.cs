using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

public sealed partial class MultiProcessTests
{
    /// <summary>
    /// A process that saved an order and started its job in one transaction is killed (SIGKILL) before it commits:
    /// neither the order nor the job exists, no instance hears of the job, and the store goes on.
    /// </summary>
    [Fact]
    public async Task ProcessKilledBetweenItsInsertAndItsCommit_LeavesNeitherTheRowNorTheJob()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using var sideSource = NpgsqlDataSource.Create(schema.ConnectionString);
        await using (var create = sideSource.CreateCommand($"CREATE TABLE {schema.Name}.orders (number integer NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync(Token);
        }

        const string Victim = "tx-victim";
        using var victim = InstanceHostProcess.Start(schema.ConnectionStringFor(Victim), schema.Name, Victim, maxConcurrency: 1, Lease, Heartbeat, "--transaction-starts");
        await victim.WaitReadyAsync();
        await victim.WriteLineAsync("tx 17");
        await PollAsync(
            () =>
            {
                AssertAlive([victim]);
                return Task.FromResult(InTransaction().IsMatch(victim.Output));
            },
            "the victim to start its job in its open transaction",
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(20));
        var jobId = Guid.Parse(InTransaction().Match(victim.Output).Groups[1].Value);

        victim.Kill();
        await WaitUntilDisconnectedAsync(sideSource, schema.ApplicationNameOf(Victim));

        await using (var orders = sideSource.CreateCommand($"SELECT count(*) FROM {schema.Name}.orders"))
        {
            ((long)(await orders.ExecuteScalarAsync(Token))!).Should().Be(0, "the order's transaction died with its process");
        }

        await using (var jobs = sideSource.CreateCommand($"SELECT (SELECT count(*) FROM {schema.Name}.jobs) + (SELECT count(*) FROM {schema.Name}.job_feed)"))
        {
            ((long)(await jobs.ExecuteScalarAsync(Token))!).Should().Be(0, "the job and its change died with the transaction");
        }

        // Another instance finds nothing of it, and starts and runs its own jobs as usual.
        using var survivor = new HostBuilder()
            .ConfigureServices(services => services.AddJobTracking(b => b.AddJob<ProbeJob>().UsePostgreSql(schema.ConnectionString, o => o.Schema = schema.Name)))
            .Build();
        await survivor.StartAsync(Token);
        try
        {
            var runner = survivor.Services.GetRequiredService<IJobRunner>();
            await FluentActions.Awaiting(async () => await survivor.Services.GetRequiredService<IJobTracker>().GetAsync(jobId, Token)).Should().ThrowAsync<JobNotFoundException>();
            var after = await runner.Job<ProbeJob>().StartAsync(new ProbeParameters(), cancellationToken: Token);
            (await runner.WaitForCompletionAsync(after, Token)).Status.Should().Be(JobStatus.Completed);
        }
        finally
        {
            await survivor.StopAsync(Token);
        }
    }

    [GeneratedRegex(@"in-transaction 17 ([0-9a-f-]{36})")]
    private static partial Regex InTransaction();

    /// <summary>A job that does nothing.</summary>
    private sealed class ProbeJob : JobDefinition<ProbeParameters>
    {
        public override ValueTask ExecuteAsync(IJobContext<ProbeParameters> context) => ValueTask.CompletedTask;
    }

    private sealed record ProbeParameters;
}
