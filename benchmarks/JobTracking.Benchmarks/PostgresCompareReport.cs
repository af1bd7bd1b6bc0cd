using System.Diagnostics;
using System.Globalization;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// <c>--postgres-compare</c>: end-to-end no-op jobs on PostgreSQL, JobTracking (1 and 3 instances, one
/// <c>StartAsync</c> per job from 64 callers and bulk start) beside Hangfire.PostgreSql and Quartz.NET's clustered
/// AdoJobStore (their enqueue APIs from 64 callers), one after the other in one process against the same server, each
/// system in a fresh schema per round. Besides jobs/s, CPU and allocations per job, the server's own counts: commits
/// per job (<c>pg_stat_database.xact_commit</c>) and statements per job (<c>pg_stat_statements</c>, reset before each
/// measured round), the statements that dominate, and the statements an idle JobTracking instance sends per second.
/// </summary>
public static class PostgresCompareReport
{
    /// <summary>Jobs per <c>StartManyAsync</c> call in the bulk-start rows (as on SQLite).</summary>
    public const int BulkBatch = CompareReport.BulkBatch;

    /// <summary>Concurrent callers in the rows that start one job per call.</summary>
    public const int CallerCount = 64;

    private sealed record Row(string Name, Func<IPostgresSystem> Create, int Jobs, bool Ours);

    private sealed record Sample(double Seconds, double Cpu, long Bytes, PgCounters Counters, PgStatementWindow Statements, (long Updates, long HotUpdates)? JobsUpdates);

    private sealed record Result(Row Row, Sample Median, double CommitsPerJob, double WalSyncsPerJob, double XidsPerJob, double StatementsPerJob, double WalBytesPerJob, double? JobsUpdatesPerJob, double? HotShare);

    /// <summary>
    /// Runs the comparison; <paramref name="peerJobs"/> = 0 leaves the peers out; <paramref name="diagnosticConcurrency"/>,
    /// when set, adds JobTracking rows with that MaxConcurrency (to see what the default's two workers cost);
    /// <paramref name="oneInstanceOnly"/> leaves the 3-instance rows out (the smoke run's shortcut).
    /// </summary>
    public static async Task RunAsync(int jobs, int bulkJobs, int peerJobs, TimeSpan warmup, int rounds, TimeSpan idleWindow, int? diagnosticConcurrency = null, bool oneInstanceOnly = false)
    {
        var connectionString = PostgresBench.Require();
        var rows = new List<Row>
        {
            new($"JobTracking, 1 instance, {CallerCount} callers, one StartAsync per job", () => new JobTrackingPostgreSqlSystem(1, CallerCount), jobs, true),
            new($"JobTracking, 3 instances, {CallerCount} callers, one StartAsync per job", () => new JobTrackingPostgreSqlSystem(3, CallerCount), jobs, true),
            new($"JobTracking, 1 instance, bulk start (StartManyAsync x {BulkBatch:N0}), 1 caller", () => new JobTrackingPostgreSqlSystem(1, bulkBatch: BulkBatch), bulkJobs, true),
            new($"JobTracking, 3 instances, bulk start (StartManyAsync x {BulkBatch:N0}), 1 caller per instance", () => new JobTrackingPostgreSqlSystem(3, bulkBatch: BulkBatch), bulkJobs, true),
        };
        if (oneInstanceOnly)
        {
            rows.RemoveAll(r => r.Name.Contains("3 instances", StringComparison.Ordinal));
        }

        if (diagnosticConcurrency is { } workers)
        {
            rows.Add(new($"JobTracking, 1 instance, {CallerCount} callers, one StartAsync per job, MaxConcurrency = {workers}", () => new JobTrackingPostgreSqlSystem(1, CallerCount, maxConcurrency: workers), jobs, true));
            rows.Add(new($"JobTracking, 1 instance, bulk start (StartManyAsync x {BulkBatch:N0}), 1 caller, MaxConcurrency = {workers}", () => new JobTrackingPostgreSqlSystem(1, bulkBatch: BulkBatch, maxConcurrency: workers), bulkJobs, true));
        }

        if (peerJobs > 0)
        {
            rows.Add(new($"Hangfire.PostgreSql 1.21.1, {PostgresBench.Workers} workers, {CallerCount} callers", () => new HangfirePostgreSqlSystem(CallerCount), peerJobs, false));
            rows.Add(new($"Quartz.NET 4.7.3 AdoJobStore, clustered, {PostgresBench.Workers} threads, {CallerCount} callers", () => new QuartzPostgreSqlSystem(CallerCount), peerJobs, false));
        }

        Console.WriteLine(await PostgresBench.DescribeServerAsync(connectionString));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:ddd MMM d HH:mm} UTC; {Environment.ProcessorCount} processors; .NET {Environment.Version}; no-op jobs, median of {rounds} rounds after {warmup.TotalSeconds:0} s of warm-up per system; a fresh schema per round"));
        Console.WriteLine();

        var results = new List<Result>();
        foreach (var row in rows)
        {
            results.Add(await MeasureAsync(connectionString, row, warmup, rounds));
        }

        PrintTable(results);
        PrintRatios(results);
        PrintStatements(results);
        await PrintIdleAsync(connectionString, idleWindow, instances: 1);
        if (!oneInstanceOnly)
        {
            await PrintIdleAsync(connectionString, idleWindow, instances: 3);
        }
    }

    private static async Task<Result> MeasureAsync(string connectionString, Row row, TimeSpan warmup, int rounds)
    {
        await JobSystems.WarmUpAsync(row.Create, row.Jobs, warmup);

        // Start-up and shutdown alone (schema creation, listeners, pools), subtracted from each round's commits.
        var empty = await PgServerStats.BeginCommitsAsync(connectionString);
        string emptyName;
        await using (var system = row.Create())
        {
            emptyName = system.ApplicationName;
            await system.StartAsync();
        }

        var emptyCounts = await empty.EndAsync(emptyName);

        var samples = new List<Sample>();
        for (var i = 0; i < rounds; i++)
        {
            var window = await PgServerStats.BeginCommitsAsync(connectionString);
            var system = row.Create();
            PgStatementWindow statements;
            double seconds, cpu;
            long bytes;
            try
            {
                await system.StartAsync();
                await PgServerStats.ResetStatementsAsync(connectionString);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var process = Process.GetCurrentProcess();
                var cpu0 = process.TotalProcessorTime;
                var bytes0 = GC.GetTotalAllocatedBytes(precise: true);
                var clock = Stopwatch.StartNew();
                await system.RunAsync(row.Jobs);
                clock.Stop();
                bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes0;
                process.Refresh();
                cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
                seconds = clock.Elapsed.TotalSeconds;
                statements = await PgServerStats.ReadStatementsAsync(connectionString);
            }
            finally
            {
                await system.DisposeAsync();
            }

            var counts = await window.EndAsync(system.ApplicationName);
            samples.Add(new Sample(seconds, cpu, bytes, counts - emptyCounts, statements, (system as JobTrackingPostgreSqlSystem)?.JobsTableUpdates));
        }

        var median = samples.OrderBy(s => s.Seconds).ElementAt(samples.Count / 2);
        var result = new Result(
            row,
            median,
            Median(samples.Select(s => s.Counters.Commits / (double)row.Jobs)),
            Median(samples.Select(s => s.Counters.WalSyncs / (double)row.Jobs)),
            Median(samples.Select(s => s.Counters.Xids / (double)row.Jobs)),
            Median(samples.Select(s => s.Statements.Calls / (double)row.Jobs)),
            Median(samples.Select(s => s.Counters.WalBytes / (double)row.Jobs)),
            samples.All(s => s.JobsUpdates is not null) ? Median(samples.Select(s => s.JobsUpdates!.Value.Updates / (double)row.Jobs)) : null,
            samples.All(s => s.JobsUpdates is { Updates: > 0 }) ? Median(samples.Select(s => s.JobsUpdates!.Value.HotUpdates / (double)s.JobsUpdates.Value.Updates)) : null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"measured: {row.Name}: {row.Jobs / median.Seconds:N0} jobs/s (rounds: {string.Join(", ", samples.Select(s => (row.Jobs / s.Seconds).ToString("N0", CultureInfo.InvariantCulture)))}); per round, start-up and shutdown ({emptyCounts.Commits} commits, {emptyCounts.WalSyncs} WAL flushes, {emptyCounts.Xids} write transactions) subtracted: commits {string.Join(", ", samples.Select(s => s.Counters.Commits))}, WAL flushes {string.Join(", ", samples.Select(s => s.Counters.WalSyncs))}, write transactions {string.Join(", ", samples.Select(s => s.Counters.Xids))}, statements {string.Join(", ", samples.Select(s => s.Statements.Calls))}"));
        return result;
    }

    private static void PrintTable(List<Result> results)
    {
        var baseline = results[0];
        var basePerJob = baseline.Median.Seconds / baseline.Row.Jobs;
        Console.WriteLine();
        Console.WriteLine("| system | jobs per round | jobs/s | time per job | CPU per job | allocated per job | time per job vs the first row | commits per job | write transactions per job | WAL flushes per job | statements per job | WAL bytes per job | jobs-table row updates per job | HOT share of them |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var perJob = r.Median.Seconds / r.Row.Jobs;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Row.Name} | {r.Row.Jobs:N0} | {r.Row.Jobs / r.Median.Seconds:N0} | {Time(perJob)} | {Time(r.Median.Cpu / r.Row.Jobs)} | {r.Median.Bytes / (double)r.Row.Jobs / 1024:N1} KB | {perJob / basePerJob:N1}x | {r.CommitsPerJob:N3} | {r.XidsPerJob:N3} | {r.WalSyncsPerJob:N3} | {r.StatementsPerJob:N2} | {r.WalBytesPerJob:N0} | {(r.JobsUpdatesPerJob is { } u ? u.ToString("N2", CultureInfo.InvariantCulture) : "–")} | {(r.HotShare is { } h ? h.ToString("P0", CultureInfo.InvariantCulture) : "–")} |"));
        }
    }

    private static void PrintRatios(List<Result> results)
    {
        Console.WriteLine();
        var peers = results.Where(r => !r.Row.Ours).ToList();
        if (peers.Count == 0)
        {
            return;
        }

        Console.WriteLine("Time per job of each peer divided by JobTracking's (same run):");
        Console.WriteLine();
        Console.WriteLine("| JobTracking row | " + string.Join(" | ", peers.Select(p => p.Row.Name)) + " |");
        Console.WriteLine("|---|" + string.Concat(peers.Select(_ => "---:|")));
        foreach (var ours in results.Where(r => r.Row.Ours))
        {
            var perJob = ours.Median.Seconds / ours.Row.Jobs;
            Console.WriteLine($"| {ours.Row.Name} | " + string.Join(" | ", peers.Select(p =>
                (p.Median.Seconds / p.Row.Jobs / perJob).ToString("N1", CultureInfo.InvariantCulture) + "x")) + " |");
        }
    }

    private static void PrintStatements(List<Result> results)
    {
        foreach (var r in results)
        {
            var window = r.Median.Statements;
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pg_stat_statements, {r.Row.Name} (median round, {r.Row.Jobs:N0} jobs): {window.Calls:N0} statements, {window.TotalMilliseconds:N1} ms of execution; the {TopCount} with most calls and the {TopCount} with most time:"));
            Console.WriteLine();
            Console.WriteLine("| calls per job | exec ms per job | mean µs per call | rows per call | statement |");
            Console.WriteLine("|---:|---:|---:|---:|---|");
            foreach (var s in Top(window))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {s.Calls / (double)r.Row.Jobs:N3} | {s.TotalMilliseconds / r.Row.Jobs:N4} | {s.TotalMilliseconds * 1000 / Math.Max(1, s.Calls):N1} | {s.Rows / (double)Math.Max(1, s.Calls):N1} | `{Shorten(s.Query)}` |"));
            }
        }
    }

    private const int TopCount = 8;

    // What Npgsql sends to reset a pooled connection before its next use when the connection has prepared statements
    // (DISCARD ALL would drop them): shown as one line, with the calls of one of them.
    private static readonly string[] PoolReset =
        ["SET SESSION AUTHORIZATION DEFAULT", "RESET ALL", "CLOSE ALL", "UNLISTEN *", "SELECT pg_advisory_unlock_all()", "DISCARD SEQUENCES", "DISCARD TEMP"];

    private static IEnumerable<PgStatement> Top(PgStatementWindow window)
    {
        var reset = window.Statements.Where(s => PoolReset.Contains(s.Query.Trim())).ToList();
        var others = window.Statements.Where(s => !PoolReset.Contains(s.Query.Trim())).ToList();
        if (reset.Count > 0)
        {
            others.Add(new PgStatement(
                reset.Max(s => s.Calls),
                reset.Sum(s => s.TotalMilliseconds),
                0,
                $"Npgsql's reset of a pooled connection before its next use, {reset.Count} statements each time: {string.Join("; ", reset.Select(s => s.Query.Trim()))}"));
        }

        return others.OrderByDescending(s => s.Calls).Take(TopCount)
            .Union(others.OrderByDescending(s => s.TotalMilliseconds).Take(TopCount))
            .OrderByDescending(s => s.Calls).ThenByDescending(s => s.TotalMilliseconds);
    }

    private static string Shorten(string query) =>
        (query.Length > 200 && !query.StartsWith("Npgsql", StringComparison.Ordinal) ? query[..200] + " ..." : query).Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>Statements sent by idle JobTracking hosts (nothing to do) over <paramref name="window"/>, per second and per instance.</summary>
    public static async Task PrintIdleAsync(string connectionString, TimeSpan window, int instances)
    {
        if (window <= TimeSpan.Zero)
        {
            return;
        }

        await using var system = new JobTrackingPostgreSqlSystem(instances);
        await system.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(2)); // start-up settles (schema, listener, first reads)
        await PgServerStats.ResetStatementsAsync(connectionString);
        await Task.Delay(window);
        var idle = await PgServerStats.ReadStatementsAsync(connectionString);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Idle: {(instances == 1 ? "one JobTracking instance" : $"{instances} JobTracking instances on one schema")} with nothing to do, {window.TotalSeconds:N0} s after start-up settled: {idle.Calls:N0} statements, {idle.Calls / window.TotalSeconds / instances:N2} per second per instance"));
        Console.WriteLine();
        Console.WriteLine("| calls (all instances) | per second per instance | mean µs per call | statement |");
        Console.WriteLine("|---:|---:|---:|---|");
        foreach (var s in Top(idle))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {s.Calls:N0} | {s.Calls / window.TotalSeconds / instances:N2} | {s.TotalMilliseconds * 1000 / Math.Max(1, s.Calls):N1} | `{Shorten(s.Query)}` |"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string Time(double seconds) => seconds >= 1e-3
        ? (seconds * 1e3).ToString("N2", CultureInfo.InvariantCulture) + " ms"
        : (seconds * 1e6).ToString("N1", CultureInfo.InvariantCulture) + " µs";
}
