using System.Diagnostics;
using System.Globalization;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// <c>--compare</c>: the end-to-end workload on every system, one after the other in one process, with what
/// BenchmarkDotNet does not show: CPU time per job (all threads), next to throughput and bytes allocated per job.
/// </summary>
public static class CompareReport
{
    public static Task RunAsync(int jobs, TimeSpan warmup, int rounds) => RunAsync(
        [
            ("JobTracking", () => JobTrackingSystem.Create(), jobs),
            ("JobTracking, counted by OnJobFinished", () => JobTrackingSystem.Create(countByEvents: true), jobs),
            ("Quartz.NET RAMJobStore, 10 threads", () => new QuartzSystem(), jobs),
            ("Hangfire InMemory, 10 workers", () => new HangfireSystem(), jobs),
        ],
        warmup,
        rounds);

    /// <summary>Jobs per <c>StartManyAsync</c> call in the bulk-start rows.</summary>
    public const int BulkBatch = 1_000;

    /// <summary>
    /// <c>--sqlite</c>: the same on JobTracking's SQLite store (a fresh temp file per round) beside the in-memory
    /// store, with one caller and with 64 concurrent callers; <paramref name="jobs"/> per round on SQLite with
    /// Synchronous = Normal, a fifth of it with Full (each start waits for a disk flush there), 5x in memory. Then
    /// the bulk-start rows (<see cref="RunSqliteBulkAsync"/>).
    /// </summary>
    public static async Task RunSqliteAsync(int jobs, TimeSpan warmup, int rounds)
    {
        var systems = new List<(string, Func<IJobSystem>, int)>();
        foreach (var callers in new[] { 1, 64 })
        {
            var who = callers == 1 ? "1 caller" : $"{callers} callers";
            systems.Add(($"JobTracking, in-memory store, {who}", () => JobTrackingSystem.Create(callers: callers), jobs * 5));
            systems.Add(($"JobTracking, SQLite Normal, {who}", () => JobTrackingSystem.Create(store: BenchStore.SqliteNormal, callers: callers), jobs));
            systems.Add(($"JobTracking, SQLite Full, {who}", () => JobTrackingSystem.Create(store: BenchStore.SqliteFull, callers: callers), Math.Max(1, jobs / 5)));
        }

        await RunAsync(systems, warmup, rounds);
        Console.WriteLine();
        await RunSqliteBulkAsync(jobs * 2, warmup, rounds);
    }

    /// <summary>
    /// <c>--sqlite-write-delay</c>: SQLite Full, 8 and 64 callers, with <c>WriteDelay</c> zero (the default) and each of
    /// <paramref name="delaysMilliseconds"/>, alternated round by round, <paramref name="jobs"/> per round.
    /// </summary>
    public static async Task RunSqliteWriteDelayAsync(int jobs, IReadOnlyList<int> delaysMilliseconds, TimeSpan warmup, int rounds)
    {
        var systems = new List<(string, Func<IJobSystem>, int)>();
        foreach (var callers in new[] { 8, 64 })
        {
            foreach (var delay in delaysMilliseconds.Prepend(0))
            {
                systems.Add((
                    $"JobTracking, SQLite Full, {callers} callers, WriteDelay {delay} ms",
                    () => JobTrackingSystem.Create(store: BenchStore.SqliteFull, callers: callers, sqlite: o => o.WriteDelay = TimeSpan.FromMilliseconds(delay)),
                    jobs));
            }
        }

        await RunAsync(systems, warmup, rounds);
    }

    /// <summary>
    /// <c>--sqlite-bulk</c>: bulk start on SQLite (Full and Normal), one caller, <paramref name="jobs"/> no-op jobs per
    /// round started through <c>StartManyAsync</c> in batches of <see cref="BulkBatch"/>. First end to end (started, run
    /// and Completed, as the other rows), then the start alone: the time until the last <c>StartManyAsync</c> returns,
    /// with no worker running, so it measures what the store takes in.
    /// </summary>
    public static async Task RunSqliteBulkAsync(int jobs, TimeSpan warmup, int rounds)
    {
        Console.WriteLine($"Bulk start, end to end: StartManyAsync in batches of {BulkBatch:N0}, 1 caller, until every job is Completed");
        Console.WriteLine();
        await RunAsync(
            [
                ("JobTracking, SQLite Full, bulk start, 1 caller", () => JobTrackingSystem.Create(store: BenchStore.SqliteFull, bulkBatch: BulkBatch), jobs),
                ("JobTracking, SQLite Normal, bulk start, 1 caller", () => JobTrackingSystem.Create(store: BenchStore.SqliteNormal, bulkBatch: BulkBatch), jobs),
            ],
            warmup,
            rounds);

        Console.WriteLine();
        Console.WriteLine($"Bulk start alone: StartManyAsync in batches of {BulkBatch:N0}, 1 caller, no worker running; median of {rounds} rounds");
        Console.WriteLine();
        Console.WriteLine("| store | jobs per round | jobs/s started | allocated per job | CPU per job |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, store) in new[] { ("SQLite Full", BenchStore.SqliteFull), ("SQLite Normal", BenchStore.SqliteNormal) })
        {
            var samples = new List<(double Seconds, double Cpu, long Bytes)>();
            for (var i = 0; i <= rounds; i++)
            {
                await using var system = JobTrackingSystem.Create(store: store, bulkBatch: BulkBatch);
                await system.EnqueueAsync(BulkBatch); // opens the file and warms the path; not measured
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var process = Process.GetCurrentProcess();
                var cpu0 = process.TotalProcessorTime;
                var bytes0 = GC.GetTotalAllocatedBytes(precise: true);
                var clock = Stopwatch.StartNew();
                await system.EnqueueAsync(jobs);
                clock.Stop();
                var bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes0;
                process.Refresh();
                if (i > 0)
                {
                    samples.Add((clock.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu0).TotalSeconds, bytes)); // the first round warms up
                }
            }

            var median = samples.OrderBy(s => s.Seconds).ElementAt(samples.Count / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {jobs:N0} | {jobs / median.Seconds:N0} | {median.Bytes / (double)jobs:N0} B | {median.Cpu / jobs * 1e6:N2} µs |"));
        }
    }

    /// <summary>
    /// <c>--sqlite-compare</c>: JobTracking's SQLite store (Full, the default, and Normal) beside the durable peers,
    /// Hangfire.Storage.SQLite and Quartz.NET's AdoJobStore on SQLite, each on a fresh file per round in the same
    /// folder, with one caller and with 64 concurrent callers. JobTracking runs with its default MaxConcurrency (the
    /// processor count) and, on Full, also with the peers' 10 workers. Per round: <paramref name="jobs"/> on Normal, a
    /// fifth of it on Full (as <c>--sqlite</c>), <paramref name="peerJobs"/> on each peer. Ratios are per job, against
    /// JobTracking on Full (default workers) with the same number of callers.
    /// </summary>
    public static Task RunSqlitePeersAsync(int jobs, int peerJobs, TimeSpan warmup, int rounds)
    {
        Console.WriteLine(DescribeSqliteDefaults());
        var systems = new List<(string, Func<IJobSystem>, int)>();
        foreach (var callers in new[] { 1, 64 })
        {
            var who = callers == 1 ? "1 caller" : $"{callers} callers";
            systems.Add(($"JobTracking, SQLite Full, {who}", () => JobTrackingSystem.Create(store: BenchStore.SqliteFull, callers: callers), Math.Max(1, jobs / 5)));
            systems.Add(($"JobTracking, SQLite Normal, {who}", () => JobTrackingSystem.Create(store: BenchStore.SqliteNormal, callers: callers), jobs));
            systems.Add(($"JobTracking, SQLite Full, MaxConcurrency = 10 (the peers' workers), {who}", () => JobTrackingSystem.Create(maxConcurrency: 10, store: BenchStore.SqliteFull, callers: callers), Math.Max(1, jobs / 5)));
            systems.Add(($"Hangfire.Storage.SQLite, 10 workers, {who}", () => new HangfireSqliteSystem(callers), peerJobs));
            systems.Add(($"Quartz.NET AdoJobStore SQLite, 10 threads, {who}", () => new QuartzSqliteSystem(callers), peerJobs));
        }

        return RunAsync(systems, warmup, rounds, groupSize: 5);
    }

    /// <summary>Prints one row per system; the ratios compare each row with the first row of its group of <paramref name="groupSize"/>.</summary>
    private static async Task RunAsync(IReadOnlyList<(string Name, Func<IJobSystem> Create, int Jobs)> systems, TimeSpan warmup, int rounds, int? groupSize = null)
    {
        Console.WriteLine($"No-op jobs, median of {rounds} rounds after {warmup.TotalSeconds:0} s of warm-up per system; {Environment.ProcessorCount} processors");
        Console.WriteLine();
        Console.WriteLine(groupSize is null
            ? "| system | jobs per round | jobs/s | allocated per job | CPU per job | ratio to the first (time) |"
            : "| system | jobs per round | jobs/s | allocated per job | CPU per job | ratio to the group's first: time per job | CPU per job | allocated per job |");
        Console.WriteLine(groupSize is null ? "|---|---:|---:|---:|---:|---:|" : "|---|---:|---:|---:|---:|---:|---:|---:|");
        double? baseline = null;
        (double Cpu, double Bytes) baselineCost = default;
        var index = 0;
        foreach (var (name, create, jobs) in systems)
        {
            if (groupSize is { } size && index++ % size == 0)
            {
                baseline = null;
            }

            await JobSystems.WarmUpAsync(create, jobs, warmup);
            var samples = new List<(double Seconds, double Cpu, long Bytes)>();
            for (var i = 0; i < rounds; i++)
            {
                await using var system = create();
                await system.StartAsync();
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var process = Process.GetCurrentProcess();
                var cpu0 = process.TotalProcessorTime;
                var bytes0 = GC.GetTotalAllocatedBytes(precise: true);
                var clock = Stopwatch.StartNew();
                await system.RunAsync(jobs);
                clock.Stop();
                var bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes0;
                process.Refresh();
                var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
                samples.Add((clock.Elapsed.TotalSeconds, cpu, bytes));
            }

            var median = samples.OrderBy(s => s.Seconds).ElementAt(samples.Count / 2);
            var perJob = median.Seconds / jobs;
            var cost = (Cpu: median.Cpu / jobs, Bytes: median.Bytes / (double)jobs);
            if (baseline is null)
            {
                baseline = perJob;
                baselineCost = cost;
            }

            var row = string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {jobs:N0} | {jobs / median.Seconds:N0} | {cost.Bytes:N0} B | {cost.Cpu * 1e6:N2} µs | {perJob / baseline.Value:N1}x |");
            Console.WriteLine(groupSize is null
                ? row
                : row + string.Create(CultureInfo.InvariantCulture, $" {cost.Cpu / baselineCost.Cpu:N1}x | {cost.Bytes / baselineCost.Bytes:N1}x |"));
        }
    }

    /// <summary>The SQLite library in use and what a new file gets when nobody sets a PRAGMA (Quartz's case).</summary>
    private static string DescribeSqliteDefaults()
    {
        using var database = new TempDatabase("defaults-" + Guid.NewGuid().ToString("N"));
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(database.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        var journal = command.ExecuteScalar();
        command.CommandText = "PRAGMA synchronous";
        var synchronous = command.ExecuteScalar();
        var text = $"SQLite {connection.ServerVersion}; files in {TempDatabase.Folder}; a new file without PRAGMAs: journal_mode = {journal}, synchronous = {synchronous} (2 = FULL)";
        connection.Close();
        Microsoft.Data.Sqlite.SqliteConnection.ClearPool(connection);
        return text;
    }
}
