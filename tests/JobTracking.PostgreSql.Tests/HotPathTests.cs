using JobTracking.Storage;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>What the store's frequent writes cost the jobs table: updates that touch no index are HOT updates (pg_stat_user_tables).</summary>
[Trait("Category", "PostgreSql")]
public sealed class HotPathTests(ITestOutputHelper output)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>A running job's lease renewals and progress saves change no indexed column: every one is a HOT update.</summary>
    [Fact]
    public async Task RenewalsAndProgressOfARunningJob_AreHotUpdates()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var job = OverlappingCommitsTests.NewJob("renewed");
        await using (var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null))
        {
            await store.CreateAsync(job, Token);
            var claimed = (await store.ClaimAsync(new() { InstanceId = "i", Node = "n", MaxCount = 1, At = DateTimeOffset.UtcNow, LeaseDuration = TimeSpan.FromMinutes(1) }, Token)).Single();
            for (var i = 0; i < 20; i++)
            {
                (await store.RenewLeasesAsync(new JobLeaseRenewal { InstanceId = "i", LeaseDuration = TimeSpan.FromMinutes(1), Claims = new Dictionary<Guid, Guid> { [job.Id] = claimed.ClaimId!.Value } }, Token))
                    .Should().ContainSingle();
                (await store.SaveProgressAsync(new JobProgressUpdate { JobId = job.Id, ClaimId = claimed.ClaimId, Report = new JobReport { Progress = new JobProgress(i, 20), WarningCount = 0, Steps = [] } }, Token))
                    .Should().BeTrue();
            }
        }

        var (updates, hot) = await UpdatesAsync(schema);
        output.WriteLine($"jobs: {updates} rows updated, {hot} of them HOT.");
        updates.Should().Be(41, "one claim, 20 renewals and 20 progress saves");
        hot.Should().BeGreaterThanOrEqualTo(40, "renewals and progress saves rewrite no indexed column");
    }

    /// <summary>The jobs table's update counts, once the store's backends have exited (a backend reports its counts when it exits).</summary>
    private static async Task<(long Updates, long Hot)> UpdatesAsync(TestSchema schema)
    {
        await using var connection = new NpgsqlConnection(PostgresServer.Require());
        await connection.OpenAsync(Token);
        for (var attempt = 0; attempt < 300; attempt++)
        {
            await using var command = new NpgsqlCommand(
                "SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name = $1), n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs'",
                connection);
            command.Parameters.Add(new NpgsqlParameter { Value = schema.Name });
            await using var reader = await command.ExecuteReaderAsync(Token);
            await reader.ReadAsync(Token);
            if (reader.GetInt64(0) == 0 && reader.GetInt64(1) > 0)
            {
                return (reader.GetInt64(1), reader.GetInt64(2));
            }

            await reader.DisposeAsync();
            await Task.Delay(50, Token);
        }

        throw new TimeoutException("The store's backends did not exit, or reported no updates.");
    }
}
