using System.Globalization;
using BenchmarkDotNet.Running;
using JobTracking.Benchmarks;
using JobTracking.Benchmarks.Soak;
using JobTracking.Benchmarks.Systems;

// Our own modes first; anything else goes to BenchmarkDotNet's switcher (e.g. --filter '*EndToEnd*' --job Short).
switch (args.FirstOrDefault())
{
    case "--compare":
        await CompareReport.RunAsync(Count(1, 100_000), args.Length > 2 ? TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture)) : BenchmarkSettings.Warmup, rounds: 3);
        return 0;
    case "--sqlite":
        await CompareReport.RunSqliteAsync(Count(1, 10_000), args.Length > 2 ? TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture)) : BenchmarkSettings.Warmup, rounds: 3);
        return 0;
    case "--sqlite-write-delay":
        // --sqlite-write-delay [jobs per round] [delays in ms, comma-separated; zero is always run]: SQLite Full, 8 and 64 callers.
        await CompareReport.RunSqliteWriteDelayAsync(
            Count(1, 2_000),
            args.Length > 2 ? [.. args[2].Split(',').Select(d => int.Parse(d, CultureInfo.InvariantCulture))] : [1, 2],
            BenchmarkSettings.Warmup,
            rounds: 3);
        return 0;
    case "--sqlite-bulk":
        // --sqlite-bulk [jobs per round] [warm-up seconds]: bulk start on SQLite alone, end to end and the start alone.
        await CompareReport.RunSqliteBulkAsync(Count(1, 20_000), args.Length > 2 ? TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture)) : BenchmarkSettings.Warmup, rounds: 3);
        return 0;
    case "--sqlite-compare":
        // --sqlite-compare [jobs per round on Normal] [warm-up seconds] [jobs per round on each peer]
        await CompareReport.RunSqlitePeersAsync(Count(1, 10_000), Count(3, Count(1, 10_000) / 10), args.Length > 2 ? TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture)) : BenchmarkSettings.Warmup, rounds: 3);
        return 0;
    case "--postgres-compare":
        // --postgres-compare [jobs per round, one StartAsync per job] [warm-up seconds] [jobs per round on each peer]
        //                    [jobs per round, bulk start] [MaxConcurrency of extra diagnostic JobTracking rows]
        if (!PostgresBench.Available)
        {
            Console.Error.WriteLine(PostgresBench.MissingMessage);
            return 2;
        }

        await PostgresCompareReport.RunAsync(
            Count(1, 2_000),
            Count(4, Count(1, 2_000)),
            Count(3, 200),
            args.Length > 2 ? TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture)) : BenchmarkSettings.Warmup,
            rounds: 3,
            idleWindow: TimeSpan.FromSeconds(10),
            diagnosticConcurrency: args.Length > 5 ? Count(5, 0) : null);
        return 0;
    case "--postgres-keyed-claims":
        // --postgres-keyed-claims [ready jobs per round] [rounds]: claims of jobs with a concurrency key each vs none.
        if (!PostgresBench.Available)
        {
            Console.Error.WriteLine(PostgresBench.MissingMessage);
            return 2;
        }

        await PostgresClaimReport.RunKeyedAsync(Count(1, 5_000), Count(2, 3));
        return 0;
    case "--postgres-idle":
        // --postgres-idle [seconds]: the statements idle instances send (one, then three on one schema).
        if (!PostgresBench.Available)
        {
            Console.Error.WriteLine(PostgresBench.MissingMessage);
            return 2;
        }

        await PostgresCompareReport.PrintIdleAsync(PostgresBench.Require(), TimeSpan.FromSeconds(Count(1, 30)), instances: 1);
        await PostgresCompareReport.PrintIdleAsync(PostgresBench.Require(), TimeSpan.FromSeconds(Count(1, 30)), instances: 3);
        return 0;
    case "--postgres-transactional":
        // --postgres-transactional [starts per round] [rounds]: a start in the application's transaction beside a plain one.
        if (!PostgresBench.Available)
        {
            Console.Error.WriteLine(PostgresBench.MissingMessage);
            return 2;
        }

        await PostgresTransactionReport.RunAsync(Count(1, 4_000), Count(2, 5));
        return 0;
    case "--postgres-claims":
        // --postgres-claims [ready jobs per round] [waiting jobs] [rounds]: claims with many jobs waiting for later vs none.
        if (!PostgresBench.Available)
        {
            Console.Error.WriteLine(PostgresBench.MissingMessage);
            return 2;
        }

        await PostgresClaimReport.RunAsync(Count(1, 5_000), Count(2, 1_000_000), Count(3, 3));
        return 0;
    case "--fault-matrix":
        // --fault-matrix [base jobs per row in memory; a fifth on SQLite and PostgreSQL]
        await FaultMatrixReport.RunAsync(Count(1, 4_000));
        return 0;
    case "--memory":
        await MemoryReport.RunAsync(Count(1, 100_000));
        return 0;
    case "--allocations":
        // --allocations [jobs] [in-memory|sqlite-normal|sqlite-full] [callers]
        await AllocationReport.RunAsync(
            Count(1, 200_000),
            args.Length > 2 ? Enum.Parse<BenchStore>(args[2].Replace("-", "", StringComparison.Ordinal), ignoreCase: true) : BenchStore.InMemory,
            Count(3, 1));
        return 0;
    case "--sqlite-pages":
        // --sqlite-pages [jobs] [sqlite-full|sqlite-normal] [callers] [max concurrency]: WAL frames, commits and pages by table per job.
        await SqlitePagesReport.RunAsync(
            Count(1, 10_000),
            args.Length > 2 ? Enum.Parse<BenchStore>(args[2].Replace("-", "", StringComparison.Ordinal), ignoreCase: true) : BenchStore.SqliteFull,
            Count(3, 1),
            args.Length > 4 ? Count(4, 0) : null);
        return 0;
    case "--startup":
        await StartupReport.RunAsync(Count(1, 1_000_000));
        return 0;
    case "--run":
        // A steady JobTracking end-to-end load for an external profiler (dotnet-trace, dotnet-counters): batches of 50,000
        // jobs (5,000 on SQLite); optionally on SQLite (sqlite-normal, sqlite-full), from several concurrent callers and
        // with more workers: --run <jobs> [in-memory|sqlite-normal|sqlite-full] [callers] [max concurrency].
        var total = Count(1, 2_000_000);
        var store = args.Length > 2 ? Enum.Parse<BenchStore>(args[2].Replace("-", "", StringComparison.Ordinal), ignoreCase: true) : BenchStore.InMemory;
        var batch = Math.Min(total, store == BenchStore.InMemory ? 50_000 : 5_000);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using (var system = JobTrackingSystem.Create(maxConcurrency: args.Length > 4 ? Count(4, 0) : null, store: store, callers: Count(3, 1)))
        {
            await system.StartAsync();
            for (var done = 0; done < total; done += batch)
            {
                await system.RunAsync(batch);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{total:N0} jobs in {clock.Elapsed.TotalSeconds:N2} s: {total / clock.Elapsed.TotalSeconds:N0} jobs/s, start-up and shutdown included"));
        return 0;
    case "--run-postgres":
        // The same on PostgreSQL: --run-postgres <jobs> [callers] [instances] [bulk size]; batches of 5,000 jobs on one
        // fresh schema, dropped at the end.
        if (!PostgresBench.Available)
        {
            Console.Error.WriteLine(PostgresBench.MissingMessage);
            return 2;
        }

        {
            var jobs = Count(1, 100_000);
            var pgClock = System.Diagnostics.Stopwatch.StartNew();
            await using (var system = new JobTrackingPostgreSqlSystem(instances: Count(3, 1), callers: Count(2, 64), bulkBatch: args.Length > 4 ? Count(4, 1_000) : null))
            {
                await system.StartAsync();
                for (var done = 0; done < jobs; done += 5_000)
                {
                    await system.RunAsync(Math.Min(5_000, jobs - done));
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{jobs:N0} jobs in {pgClock.Elapsed.TotalSeconds:N2} s: {jobs / pgClock.Elapsed.TotalSeconds:N0} jobs/s, start-up and shutdown included"));
        }

        return 0;
    case "--soak":
        // --soak [in-memory|sqlite|both] [jobs] [folder for the CSVs]: a long run with retention on, sampled every second;
        // exit code 1 when memory or handles grew after warm-up. With both, the jobs are the in-memory count and a tenth
        // of it runs on SQLite. The CSVs go to benchmarks/ when run from the repository root.
        return await SoakReport.RunAsync(
            args.Length > 1 ? args[1] : "both",
            args.Length > 2 ? Count(2, 0) : null,
            args.Length > 3 ? args[3] : Directory.Exists("benchmarks") ? "benchmarks" : ".");
    case "--smoke":
        // CI: every benchmark once (BenchmarkDotNet's Dry job), small backlogs, no warm-up; then the memory report.
        // In process: the point is that each benchmark still runs, and building a separate benchmark program for the
        // run took longer than the benchmarks themselves.
        // The PostgreSQL benchmarks need a server (JOBTRACKING_POSTGRES); without one they are left out, and said so.
        Environment.SetEnvironmentVariable(BenchmarkSettings.SmokeVariable, "1");
        args = [.. args[1..], .. args.Contains("--filter") ? Array.Empty<string>() : ["--filter", "*"], .. args.Contains("--job") ? Array.Empty<string>() : ["--job", "Dry"], "--inProcess"];
        if (!PostgresBench.Available)
        {
            Console.WriteLine($"Skipped the PostgreSQL benchmarks ({string.Join(", ", PostgresBench.BenchmarkTypes.Select(t => t.Name))} and the --postgres-compare smoke round): {PostgresBench.MissingMessage}");
        }

        var failed = RunBenchmarks(args, includePostgres: PostgresBench.Available);
        await MemoryReport.RunAsync(10_000);
        if (PostgresBench.Available)
        {
            // The console mode's code path (the server's counts included): JobTracking's 1-instance rows only, small, no warm-up.
            await PostgresCompareReport.RunAsync(50, 100, peerJobs: 0, TimeSpan.Zero, rounds: 1, idleWindow: TimeSpan.FromSeconds(1), oneInstanceOnly: true);
        }

        return failed ? 1 : 0;
    default:
        return RunBenchmarks(args) ? 1 : 0;
}

// Returns whether anything failed: a filter that matched nothing, a validation error, or a benchmark without results.
// Without includePostgres, the PostgreSQL benchmarks are not offered to the switcher at all.
static bool RunBenchmarks(string[] args, bool includePostgres = true)
{
    // The benchmark processes write the latency percentiles here; they inherit the variable.
    var latencyFolder = Path.Combine(Path.GetTempPath(), "jobtracking-bench-latency-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    Environment.SetEnvironmentVariable(LatencyRecorder.FolderVariable, latencyFolder);
    try
    {
        var switcher = includePostgres
            ? BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
            : BenchmarkSwitcher.FromTypes([.. typeof(Program).Assembly.GetTypes().Where(t => t is { IsPublic: true, IsAbstract: false } && !PostgresBench.BenchmarkTypes.Contains(t) && t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), inherit: false)))]);
        var summaries = switcher.Run(args).ToList();
        // A filter that matched nothing is a failure, unless the PostgreSQL benchmarks were left out (it may have named only them).
        return (summaries.Count == 0 && args.Contains("--filter") && includePostgres) || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
    }
    finally
    {
        if (Directory.Exists(latencyFolder))
        {
            Directory.Delete(latencyFolder, recursive: true);
        }
    }
}

int Count(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
