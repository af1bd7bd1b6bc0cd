using System.Diagnostics;
using System.Globalization;
using JobTracking.Benchmarks.Systems;
using JobTracking.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace JobTracking.Benchmarks;

/// <summary>
/// <c>--postgres-transactional [starts per round] [rounds]</c>: what starting a job in the application's own transaction
/// costs, beside the ways an application does without it, from 32 callers on one host (its workers run the no-op jobs
/// meanwhile). Per start: (a) a plain <c>StartAsync</c>, no application row; (b) the application's transaction alone
/// (insert a row, commit), no job; (c) the row and the job in one transaction (<c>InTransaction</c>), one commit;
/// (d) the row committed, then a plain start: two commits, and a crash between them loses the job. Rounds alternate the
/// order of the four, so the machine's noise falls on all.
/// </summary>
public static class PostgresTransactionReport
{
    private const int Callers = 32;

    private static readonly string[] Names = ["(a) plain StartAsync", "(b) application row alone", "(c) row + job in one transaction", "(d) row committed, then StartAsync"];

    public static async Task RunAsync(int starts, int rounds)
    {
        var connectionString = PostgresBench.Require();
        Console.WriteLine(await PostgresBench.DescribeServerAsync(connectionString));
        var schema = PostgresBench.NewSchema("jt_tx");
        using var host = new HostBuilder()
            .ConfigureServices(s => s.AddJobTracking(b => b.AddJob<NoopJob>().UsePostgreSql(connectionString, o => o.Schema = schema)))
            .Build();
        await host.StartAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            await using (var create = dataSource.CreateCommand($"CREATE TABLE {schema}.orders (id bigserial PRIMARY KEY, number integer NOT NULL)"))
            {
                await create.ExecuteNonQueryAsync();
            }

            var runner = host.Services.GetRequiredService<IJobRunner>();
            var rates = Names.Select(_ => new List<double>()).ToArray();
            await MeasureAsync(runner, dataSource, schema, 2, Math.Min(starts, 500)); // warm-up
            for (var round = 0; round < rounds; round++)
            {
                for (var k = 0; k < Names.Length; k++)
                {
                    var variant = (k + round) % Names.Length;
                    rates[variant].Add(await MeasureAsync(runner, dataSource, schema, variant, starts));
                }
            }

            Console.WriteLine($"| way ({Callers} callers, {starts:N0} starts per round) | starts/s, median of {rounds} | rounds | vs (c) |");
            Console.WriteLine("|---|---:|---|---:|");
            var medianC = Median(rates[2]);
            for (var v = 0; v < Names.Length; v++)
            {
                var median = Median(rates[v]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {Names[v]} | {median:N0} | {string.Join(" / ", rates[v].Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} | {median / medianC:F2}x |"));
            }
        }
        finally
        {
            await host.StopAsync();
            await PostgresBench.DropSchemaAsync(connectionString, schema);
        }
    }

    private static async Task<double> MeasureAsync(IJobRunner runner, NpgsqlDataSource dataSource, string schema, int variant, int starts)
    {
        var next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= starts)
            {
                if (variant == 0)
                {
                    await runner.Job<NoopJob>().StartAsync(new NoopParameters());
                    continue;
                }

                await using var connection = await dataSource.OpenConnectionAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await using (var insert = new NpgsqlCommand($"INSERT INTO {schema}.orders (number) VALUES (1)", connection, transaction))
                {
                    await insert.ExecuteNonQueryAsync();
                }

                if (variant == 2)
                {
                    await runner.InTransaction(transaction).Job<NoopJob>().StartAsync(new NoopParameters());
                }

                await transaction.CommitAsync();
                if (variant == 3)
                {
                    await runner.Job<NoopJob>().StartAsync(new NoopParameters());
                }
            }
        })));
        return starts / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private sealed record NoopParameters;

    private sealed class NoopJob : JobDefinition<NoopParameters>
    {
        public override ValueTask ExecuteAsync(IJobContext<NoopParameters> context) => ValueTask.CompletedTask;
    }
}
