using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

public sealed partial class MultiProcessTests
{
    /// <summary>
    /// Three instance processes each start, at one agreed instant, their share of 1,000 starts with one idempotency key
    /// through their own IJobRunner: exactly one job is stored, and every start in every process returns its id.
    /// (PostgreSqlIdempotencyKeyTests races three store objects in one process; here the engines, their connection
    /// pools and the processes are separate too.)
    /// </summary>
    [Fact]
    public async Task ThreeInstancesStartingOneKeyedJobAThousandTimesAtOnce_StoreOneJob_AndEveryStartReturnsItsId()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        const string Key = "upload/8f2c";
        string[] names = ["p1", "p2", "p3"];
        int[] starts = [334, 333, 333];
        var hosts = names.Select((n, i) => InstanceHostProcess.Start(schema.ConnectionString, schema.Name, n, maxConcurrency: 4, Lease, Heartbeat,
            "--keyed-starts", starts[i].ToString(CultureInfo.InvariantCulture), "--key", Key)).ToList();
        try
        {
            await Task.WhenAll(hosts.Select(h => h.WaitReadyAsync()));

            // Act: every instance starts its share at the same instant (the processes share the machine's clock).
            var at = DateTimeOffset.UtcNow.AddMilliseconds(500);
            await Task.WhenAll(hosts.Select(h => h.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"go {at.ToUnixTimeMilliseconds()}"))));
            await PollAsync(
                () =>
                {
                    AssertAlive(hosts);
                    return Task.FromResult(hosts.All(h => h.Output.Split('\n').Any(l => l.TrimEnd() == "done")));
                },
                "every instance to report its starts",
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(50));

            // Assert: each process got one id for all its starts, the same in every process.
            var answers = hosts.Select(h => (h.Instance, Ids: Started().Matches(h.Output).Select(m => (Id: Guid.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Count: int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList())).ToList();
            for (var i = 0; i < hosts.Count; i++)
            {
                answers[i].Ids.Should().ContainSingle($"every start in {hosts[i].Instance} returns the one job's id; it wrote: {hosts[i].Output}{hosts[i].Error}")
                    .Which.Count.Should().Be(starts[i], $"{hosts[i].Instance} made {starts[i]} starts");
            }

            var winner = answers[0].Ids[0].Id;
            answers.Select(a => a.Ids[0].Id).Should().AllBeEquivalentTo(winner, "every process got the id of the one job stored");

            // From the database: one job, holding the key, created once.
            await using var dataSource = NpgsqlDataSource.Create(schema.ConnectionString);
            var jobs = await ReadAsync(dataSource, "SELECT id, idempotency_key FROM jobs", r => (Id: r.GetGuid(0), Key: r.IsDBNull(1) ? null : r.GetString(1)));
            jobs.Should().Equal([(winner, Key)], "of 1,000 starts with one key, one job is stored");
            await using var store = await PostgreSqlJobStores.OpenAsync(schema.ConnectionString, new PostgreSqlJobStoreOptions { Schema = schema.Name }, null, Token);
            (await ReadFeedAsync(store)).Where(c => c.Kind == JobEventKind.Created).Select(c => c.JobId).Should().Equal([winner], "one creation is recorded");

            var bursts = hosts.Select(h => Burst().Match(h.Output)).Select(m => (From: long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), To: long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();
            output.WriteLine($"{starts.Sum()} starts with one key from {hosts.Count} processes: {jobs.Count} job stored; every start answered {winner}. " +
                $"The processes' starts ran {string.Join(", ", bursts.Select(b => $"{b.From - at.ToUnixTimeMilliseconds()}–{b.To - at.ToUnixTimeMilliseconds()} ms"))} after the agreed instant, " +
                $"all three at once for {Math.Max(0, bursts.Min(b => b.To) - bursts.Max(b => b.From))} ms.");

            await Task.WhenAll(hosts.Select(h => h.StopAsync(TimeSpan.FromSeconds(15))));
        }
        finally
        {
            foreach (var host in hosts)
            {
                if (host.Error.Length > 0)
                {
                    output.WriteLine($"{host.Instance} wrote to standard error:{Environment.NewLine}{host.Error}");
                }

                host.Dispose();
            }
        }
    }

    [GeneratedRegex(@"^started ([0-9a-f-]{36}) (\d+)\r?$", RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex Started();

    [GeneratedRegex(@"^burst (\d+) (\d+)\r?$", RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex Burst();
}
