using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

public sealed partial class MultiProcessTests
{
    /// <summary>
    /// Three instance processes each start, at one agreed instant, their share of 1,000 starts with one idempotency key
    /// through their own IJobRunner, ten times over with a new key each second: for each key exactly one job is stored,
    /// and every start in every process returns its id. (PostgreSqlIdempotencyKeyTests races three store objects in one
    /// process; here the engines, their write batching, their connection pools and the processes are separate too. Only
    /// the first inserts of a round race each other, so the rounds give the race ten chances.)
    /// </summary>
    [Fact]
    public async Task ThreeInstances_AThousandStartsWithOneKeyAtOnce_TenKeysInTurn_StoreOneJobPerKey_AndEveryStartReturnsItsId()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        string[] names = ["p1", "p2", "p3"];
        int[] starts = [334, 333, 333];
        var keys = Enumerable.Range(0, 10).Select(r => $"upload/8f2c-{r}").ToList();
        var hosts = names.Select((n, i) => InstanceHostProcess.Start(schema.ConnectionString, schema.Name, n, maxConcurrency: 4, Lease, Heartbeat,
            "--keyed-starts", starts[i].ToString(CultureInfo.InvariantCulture))).ToList();
        try
        {
            await Task.WhenAll(hosts.Select(h => h.WaitReadyAsync()));

            // Act: every instance starts its share of a key's starts at the same instant (the processes share the
            // machine's clock), a key a second.
            var first = DateTimeOffset.UtcNow.AddMilliseconds(500);
            var instants = keys.Select((_, r) => first.AddSeconds(r).ToUnixTimeMilliseconds()).ToList();
            foreach (var host in hosts)
            {
                foreach (var (key, at) in keys.Zip(instants))
                {
                    await host.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"go {at} {key}"));
                }
            }

            await PollAsync(
                () =>
                {
                    AssertAlive(hosts);
                    return Task.FromResult(hosts.All(h => keys.All(k => h.Output.Contains($"done {k}\n", StringComparison.Ordinal))));
                },
                "every instance to report its starts",
                TimeSpan.FromSeconds(60) + (keys.Count * TimeSpan.FromSeconds(1)),
                TimeSpan.FromMilliseconds(100));

            // Assert: for each key, each process got one id for all its starts, the same in every process.
            var answers = hosts.Select(h => Started().Matches(h.Output)
                .Select(m => (Key: m.Groups[1].Value, Id: Guid.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), Count: int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)))
                .ToList()).ToList();
            var answered = keys.ToDictionary(k => k, k => answers.Select(a => a.Where(x => x.Key == k).ToList()).ToList());
            for (var i = 0; i < hosts.Count; i++)
            {
                keys.Select(k => answered[k][i].Sum(a => a.Count)).Should().OnlyContain(n => n == starts[i], $"{hosts[i].Instance} reports {starts[i]} starts with each key");
            }

            var split = keys.Where(k => answered[k].SelectMany(a => a).Select(a => a.Id).Distinct().Count() != 1).ToList();
            split.Should().BeEmpty($"every start with a key, in every process, returns the one job's id; {split.Count} of {keys.Count} keys got more than one, e.g. " + string.Join("; ", split.Take(2).Select(k =>
                $"{k} they got " + string.Join(", ", answered[k].Select((a, i) => $"{hosts[i].Instance} " + string.Join(" + ", a.Select(x => $"{x.Id} ×{x.Count}")))))));
            var winners = keys.ToDictionary(k => k, k => answered[k][0][0].Id);

            // From the database: one job per key, holding it, each created once.
            await using var dataSource = NpgsqlDataSource.Create(schema.ConnectionString);
            var jobs = await ReadAsync(dataSource, "SELECT id, idempotency_key FROM jobs", r => (Id: r.GetGuid(0), Key: r.IsDBNull(1) ? null : r.GetString(1)));
            jobs.Should().BeEquivalentTo(keys.Select(k => (winners[k], (string?)k)), $"of 1,000 starts with one key, one job is stored, for each of the {keys.Count} keys");
            await using var store = await PostgreSqlJobStores.OpenAsync(schema.ConnectionString, new PostgreSqlJobStoreOptions { Schema = schema.Name }, null, Token);
            (await ReadFeedAsync(store)).Where(c => c.Kind == JobEventKind.Created).Select(c => c.JobId).Should().BeEquivalentTo(winners.Values, "one creation is recorded per key");

            // How much the processes' starts overlapped, round by round.
            var overlaps = keys.Select((key, r) =>
            {
                var bursts = hosts.Select(h => Burst().Matches(h.Output).Single(m => m.Groups[1].Value == key))
                    .Select(m => (From: long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), To: long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture))).ToList();
                return (Skew: bursts.Max(b => b.From) - bursts.Min(b => b.From), Overlap: Math.Max(0, bursts.Min(b => b.To) - bursts.Max(b => b.From)));
            }).ToList();
            output.WriteLine($"{keys.Count} keys × {starts.Sum()} starts from {hosts.Count} processes: {jobs.Count} jobs stored, one per key; every start got its key's job. " +
                $"The processes began a round within {overlaps.Min(o => o.Skew)}–{overlaps.Max(o => o.Skew)} ms of each other, and all three were starting at once for " +
                $"{string.Join(", ", overlaps.Select(o => o.Overlap))} ms.");

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

    [GeneratedRegex(@"^started (\S+) ([0-9a-f-]{36}) (\d+)\r?$", RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex Started();

    [GeneratedRegex(@"^burst (\S+) (\d+) (\d+)\r?$", RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex Burst();
}
