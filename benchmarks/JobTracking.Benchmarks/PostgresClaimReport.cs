using System.Diagnostics;
using System.Globalization;
using JobTracking.Benchmarks.Systems;
using JobTracking.PostgreSql;
using JobTracking.Storage;
using Npgsql;

namespace JobTracking.Benchmarks;

/// <summary>
/// <c>--postgres-claims [ready jobs per round] [waiting jobs] [rounds]</c>: claim throughput on the PostgreSQL store with many
/// queued jobs waiting for a later time (run_after next year) beside the ready ones, against the same store with none
/// waiting, in the same run. The waiting jobs are inserted straight into the schema (one INSERT ... SELECT
/// generate_series) and analyzed. Each round creates the ready jobs in bulk, then 32 callers claim them one job per
/// claim (the engine's pattern when a worker slot frees) until none is left; then the same with claims of 32. Rounds
/// alternate between the two schemas, so the machine's noise falls on both.
/// </summary>
public static class PostgresClaimReport
{
    private const int Callers = 32;

    public static async Task RunAsync(int jobs, int waiting, int rounds)
    {
        var connectionString = PostgresBench.Require();
        Console.WriteLine(await PostgresBench.DescribeServerAsync(connectionString));
        var none = PostgresBench.NewSchema("jt_claims_none");
        var many = PostgresBench.NewSchema("jt_claims_waiting");
        await using var noneStore = await PostgreSqlJobStores.OpenAsync(connectionString, new PostgreSqlJobStoreOptions { Schema = none }, null, CancellationToken.None);
        await using var manyStore = await PostgreSqlJobStores.OpenAsync(connectionString, new PostgreSqlJobStoreOptions { Schema = many }, null, CancellationToken.None);
        try
        {
            var insert = Stopwatch.StartNew();
            await InsertWaitingAsync(connectionString, many, waiting);
            Console.WriteLine($"{waiting:N0} waiting jobs inserted and analyzed in {insert.Elapsed.TotalSeconds:F1} s");
            var next = await manyStore.GetNextRunAfterAsync();
            var read = Stopwatch.StartNew();
            for (var i = 0; i < 100; i++)
            {
                await manyStore.GetNextRunAfterAsync();
            }

            Console.WriteLine($"GetNextRunAfterAsync with {waiting:N0} waiting: {next:O}, {read.Elapsed.TotalMilliseconds / 100:F2} ms per call");

            Console.WriteLine($"| round | claim size | none waiting, claims/s | {waiting:N0} waiting, claims/s | ratio (waiting / none) |");
            Console.WriteLine("|---:|---:|---:|---:|---:|");
            var ratios = new Dictionary<int, List<double>> { [1] = [], [Callers] = [] };
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var size in new[] { 1, Callers })
                {
                    // Alternate which schema goes first, so a drift in the machine's load favours neither.
                    var first = round % 2 == 1;
                    var a = await MeasureAsync(first ? noneStore : manyStore, jobs, size);
                    var b = await MeasureAsync(first ? manyStore : noneStore, jobs, size);
                    var (noneRate, manyRate) = first ? (a, b) : (b, a);
                    ratios[size].Add(manyRate / noneRate);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {round} | {size} | {noneRate:N0} | {manyRate:N0} | {manyRate / noneRate:F2} |"));
                }
            }

            foreach (var (size, list) in ratios)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"claims of {size}: median ratio {list.Order().ElementAt(list.Count / 2):F2} over {list.Count} rounds"));
            }

            if ((await manyStore.ClaimAsync(Claim(1))).Count != 0)
            {
                throw new InvalidOperationException("A waiting job was claimed.");
            }
        }
        finally
        {
            await PostgresBench.DropSchemaAsync(connectionString, none);
            await PostgresBench.DropSchemaAsync(connectionString, many);
        }
    }

    /// <summary>
    /// <c>--postgres-keyed-claims [ready jobs per round] [rounds]</c>: the same claims of ready jobs that each carry a
    /// concurrency key of their own (a key per order, say) against jobs with none, alternated in one run: what the key
    /// rule costs a claim (a job takes its key only as the first queued job of it, and holds it in job_key_holds).
    /// </summary>
    public static async Task RunKeyedAsync(int jobs, int rounds)
    {
        var connectionString = PostgresBench.Require();
        Console.WriteLine(await PostgresBench.DescribeServerAsync(connectionString));
        var none = PostgresBench.NewSchema("jt_claims_unkeyed");
        var keyed = PostgresBench.NewSchema("jt_claims_keyed");
        await using var noneStore = await PostgreSqlJobStores.OpenAsync(connectionString, new PostgreSqlJobStoreOptions { Schema = none }, null, CancellationToken.None);
        await using var keyedStore = await PostgreSqlJobStores.OpenAsync(connectionString, new PostgreSqlJobStoreOptions { Schema = keyed }, null, CancellationToken.None);
        try
        {
            Console.WriteLine("| round | claim size | no keys, claims/s | a key per job, claims/s | ratio (keyed / none) |");
            Console.WriteLine("|---:|---:|---:|---:|---:|");
            var ratios = new Dictionary<int, List<double>> { [1] = [], [Callers] = [] };
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var size in new[] { 1, Callers })
                {
                    var first = round % 2 == 1;
                    var a = await MeasureAsync(first ? noneStore : keyedStore, jobs, size, keyed: !first);
                    var b = await MeasureAsync(first ? keyedStore : noneStore, jobs, size, keyed: first);
                    var (noneRate, keyedRate) = first ? (a, b) : (b, a);
                    ratios[size].Add(keyedRate / noneRate);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {round} | {size} | {noneRate:N0} | {keyedRate:N0} | {keyedRate / noneRate:F2} |"));
                }
            }

            foreach (var (size, list) in ratios)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"claims of {size}: median ratio {list.Order().ElementAt(list.Count / 2):F2} over {list.Count} rounds"));
            }
        }
        finally
        {
            await PostgresBench.DropSchemaAsync(connectionString, none);
            await PostgresBench.DropSchemaAsync(connectionString, keyed);
        }
    }

    private static async Task InsertWaitingAsync(string connectionString, string schema, int waiting)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand(
            $$"""
            INSERT INTO "{{schema}}".jobs (id, type_name, display_name, status, version, parameters, priority, created_at, attempt, progress_done,
                warning_count, changed_at, run_after)
            SELECT gen_random_uuid(), 'noop', 'waiting #' || g, 1, 1, '{}', 0, 638000000000000000 + g, 1, 0, 0, now(),
                now() + interval '365 days' + g * interval '1 millisecond'
            FROM generate_series(1, $1) g
            """,
            connection) { CommandTimeout = 600 };
        insert.Parameters.Add(new NpgsqlParameter { Value = waiting });
        await insert.ExecuteNonQueryAsync();
        await using var analyze = new NpgsqlCommand($"ANALYZE \"{schema}\".jobs", connection) { CommandTimeout = 600 };
        await analyze.ExecuteNonQueryAsync();
    }

    // Creates the ready jobs, then claims them with 32 callers until none is left; claims per second.
    private static async Task<double> MeasureAsync(PostgreSqlJobStore store, int jobs, int claimSize, bool keyed = false)
    {
        var now = DateTimeOffset.UtcNow;
        var ready = Enumerable.Range(0, jobs).Select(i => new JobRecord
        {
            Id = Guid.CreateVersion7(),
            TypeName = "noop",
            DisplayName = "ready #" + i.ToString(CultureInfo.InvariantCulture),
            Status = JobStatus.Queued,
            Version = 1,
            Parameters = "{}",
            CreatedAt = now,
            ConcurrencyKey = keyed ? "key #" + i.ToString(CultureInfo.InvariantCulture) + " " + now.Ticks.ToString(CultureInfo.InvariantCulture) : null,
        }).ToArray();
        foreach (var chunk in ready.Chunk(1_000))
        {
            await store.CreateManyAsync(chunk);
        }

        var claims = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            while ((await store.ClaimAsync(Claim(claimSize))).Count > 0)
            {
                Interlocked.Increment(ref claims);
            }
        })));
        return jobs / clock.Elapsed.TotalSeconds;
    }

    private static JobClaimRequest Claim(int size) =>
        new() { InstanceId = "bench", Node = "bench", MaxCount = size, At = DateTimeOffset.UtcNow, LeaseDuration = TimeSpan.FromMinutes(5) };
}
