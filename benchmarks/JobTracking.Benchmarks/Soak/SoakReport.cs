using System.Globalization;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks.Soak;

/// <summary>
/// <c>--soak</c>: millions of no-op jobs through one long-lived host, with retention on, while the process and the store
/// are sampled every second. Several callers start jobs continuously (at most a window of them started and not yet
/// finished, so the queue stays short), the workers run them, and an <c>OnJobFinished</c> subscription counts them as
/// an application would. The samples go to a CSV; the verdict says whether memory and handles stayed flat after
/// warm-up, and the exit code is 1 when one of them grew beyond the tolerance (<see cref="SoakMetric"/>).
/// </summary>
public static class SoakReport
{
    /// <summary>The default number of jobs on the in-memory store.</summary>
    public const int InMemoryJobs = 10_000_000;

    /// <summary>The default number of jobs on SQLite.</summary>
    public const int SqliteJobs = 1_000_000;

    /// <summary>How often the process and the store are sampled.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(10);

    // No job finished for this long means the run is stuck (a lost finished event would leave the window short).
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    private static readonly SoakSetup InMemory = new(
        "in-memory",
        "soak-inmemory.csv",
        BenchStore.InMemory,
        Callers: 8,
        Window: 10_000,
        Configure: _ => { }, // the default bound: MaxFinishedJobsInMemory = 10,000
        MinimumWarmup: TimeSpan.Zero);

    // SQLite purges by age only: the shortest RetentionPeriod allowed (1 minute), checked every 10 s, so finished jobs
    // are purged throughout the run; the file reaches its size once the retention window and the change feed
    // (FeedRetention, 1,000,000 changes by default) are full.
    private static readonly SoakSetup Sqlite = new(
        "sqlite",
        "soak-sqlite.csv",
        BenchStore.SqliteFull,
        Callers: 64,
        Window: 2_000,
        Configure: o =>
        {
            o.RetentionPeriod = TimeSpan.FromMinutes(1);
            o.RetentionInterval = TimeSpan.FromSeconds(10);
        },
        MinimumWarmup: TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(20));

    /// <summary>
    /// Runs the soak on <paramref name="stores"/> (<c>in-memory</c>, <c>sqlite</c> or <c>both</c>) with
    /// <paramref name="jobs"/> jobs (with <c>both</c>: that many in memory and a tenth on SQLite), writing the CSVs to
    /// <paramref name="folder"/>. Returns the exit code: 0 when flat, 1 when a checked metric grew.
    /// </summary>
    public static async Task<int> RunAsync(string stores, int? jobs, string folder)
    {
        if (jobs is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(jobs), jobs, "--soak needs at least 1 job.");
        }

        (SoakSetup Setup, int Jobs)[] runs = stores switch
        {
            "in-memory" => [(InMemory, jobs ?? InMemoryJobs)],
            "sqlite" => [(Sqlite, jobs ?? SqliteJobs)],
            "both" => [(InMemory, jobs ?? InMemoryJobs), (Sqlite, jobs is { } n ? Math.Max(1, n / 10) : SqliteJobs)],
            _ => throw new ArgumentException($"--soak takes in-memory, sqlite or both, not '{stores}'.", nameof(stores)),
        };

        var failed = false;
        foreach (var (setup, count) in runs)
        {
            failed |= !await RunAsync(setup, count, Path.Combine(folder, setup.FileName));
            Console.WriteLine();
        }

        return failed ? 1 : 0;
    }

    /// <summary>Runs one store's soak; returns whether every checked metric stayed flat (or there were too few samples to judge).</summary>
    private static async Task<bool> RunAsync(SoakSetup setup, int jobs, string csv)
    {
        // Start from what the previous store's run left collected, so its garbage does not land in this run's warm-up.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();

        var time = TimeProvider.System;
        var system = JobTrackingSystem.Create(store: setup.Store, configure: setup.Configure);
        var options = system.Options;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Soak, {setup.Name}: {jobs:N0} no-op jobs from {setup.Callers} callers, at most {setup.Window:N0} started and not yet finished; " +
            $"MaxConcurrency = {options.MaxConcurrency}; {Retention(setup, options)}; {Environment.ProcessorCount} processors; load average at start: {LoadAverage()}"));
        using var flow = new SoakFlow(jobs, setup.Window);
        IReadOnlyList<SoakSample> samples;
        long dropped;
        double seconds;
        await using (system)
        {
            await system.StartAsync();
            using var subscription = system.Events.OnJobFinished(flow.OnFinished);
            using var sampler = new SoakSampler(system, () => flow.Finished, time);
            using var stop = new CancellationTokenSource();
            var sampling = sampler.RunAsync();
            var starting = Callers.RunAsync(jobs, setup.Callers, share => flow.StartAsync(system.Runner, share, stop.Token));
            try
            {
                await WaitAsync(flow, starting, sampler, time);
            }
            finally
            {
                sampler.Stop();
                await stop.CancelAsync();
                await sampling;
            }

            var last = await sampler.SampleAsync();
            seconds = last.Seconds;
            samples = sampler.Samples;
            dropped = subscription.DroppedEvents;
        }

        await File.WriteAllLinesAsync(csv, [SoakSample.CsvHeader, .. samples.Select(s => s.ToCsv())]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{jobs:N0} jobs in {seconds:N0} s ({jobs / seconds:N0} jobs/s), {samples.Count} samples written to {csv}; " +
            $"finished events counted: {flow.Finished:N0}, dropped: {dropped}; load average at the end: {LoadAverage()}"));
        return Report(setup, jobs, samples);
    }

    /// <summary>Waits until every job has finished, printing progress; throws when the callers fail or nothing finishes for <see cref="StallTimeout"/>.</summary>
    private static async Task WaitAsync(SoakFlow flow, Task starting, SoakSampler sampler, TimeProvider time)
    {
        var progressAt = time.GetTimestamp();
        var progressCount = flow.Finished;
        while (!flow.Done.IsCompleted)
        {
            await Task.WhenAny(flow.Done, starting.IsCompleted ? flow.Done : starting, Task.Delay(ProgressInterval, time));
            if (starting.IsFaulted)
            {
                await starting; // the callers' exception
            }

            var finished = flow.Finished;
            if (finished != progressCount)
            {
                progressCount = finished;
                progressAt = time.GetTimestamp();
            }
            else if (time.GetElapsedTime(progressAt) > StallTimeout)
            {
                throw new InvalidOperationException($"No job finished for {StallTimeout.TotalSeconds:0} s ({finished:N0} finished); stopping the soak.");
            }

            if (sampler.Latest is { } s && !flow.Done.IsCompleted)
            {
                var files = s.DatabaseBytes is { } db
                    ? string.Create(CultureInfo.InvariantCulture, $", file {db / 1048576.0:N1} MiB + WAL {s.WalBytes / 1048576.0:N1} MiB")
                    : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {s.Seconds,5:0} s: {s.Finished,12:N0} finished, {s.Kept,9:N0} kept, working set {s.WorkingSet / 1048576.0,7:N1} MiB, " +
                    $"GC heap {s.GcHeap / 1048576.0,6:N1} MiB, {s.Handles} handles, {s.Descriptors} fds, {s.Threads} threads{files}"));
            }
        }
    }

    /// <summary>Prints the windows and the verdict table; returns whether every checked metric stayed flat.</summary>
    private static bool Report(SoakSetup setup, int jobs, IReadOnlyList<SoakSample> samples)
    {
        var windows = SoakVerdict.Split(samples, jobs, setup.MinimumWarmup, out var reason);
        if (windows is null)
        {
            Console.WriteLine($"No verdict: {reason}.");
            return true;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Warm-up: until {windows.AfterWarmup[0].Finished:N0} jobs ({windows.AfterWarmup[0].Seconds:N0} s); " +
            $"early window {Describe(windows.Early)}; late window {Describe(windows.Late)}. " +
            $"Tolerance: the late mean may be {SoakMetric.RelativeTolerance * 100:N0}% + {SoakMetric.ByteMargin / 1048576:N0} MiB (memory, files) or + {SoakMetric.CountMargin:N0} (counts) above the early mean; the slope is over every sample after warm-up."));
        Console.WriteLine();
        Console.WriteLine($"| {setup.Name}: metric | early mean | late mean | slope per 1,000,000 jobs | limit | verdict |");
        Console.WriteLine("|---|---:|---:|---:|---:|---|");
        var verdicts = SoakVerdict.Judge(windows);
        foreach (var verdict in verdicts)
        {
            Console.WriteLine(verdict.ToRow());
        }

        var failing = verdicts.Where(v => v.Fails).Select(v => v.Metric.Name).ToList();
        Console.WriteLine();
        Console.WriteLine(failing.Count == 0
            ? $"Verdict, {setup.Name}: memory and handles flat after warm-up."
            : $"Verdict, {setup.Name}: GREW beyond the tolerance: {string.Join(", ", failing)}.");
        return failing.Count == 0;
    }

    private static string Describe(IReadOnlyList<SoakSample> window) => string.Create(CultureInfo.InvariantCulture,
        $"{window[0].Finished:N0}-{window[^1].Finished:N0} jobs ({window[0].Seconds:N0}-{window[^1].Seconds:N0} s, {window.Count} samples)");

    private static string Retention(SoakSetup setup, JobTrackingOptions options) => setup.Store == BenchStore.InMemory
        ? string.Create(CultureInfo.InvariantCulture, $"retention: MaxFinishedJobsInMemory = {options.MaxFinishedJobsInMemory:N0}")
        : string.Create(CultureInfo.InvariantCulture, $"SQLite Synchronous = Full (the default), retention: RetentionPeriod = {options.RetentionPeriod?.TotalSeconds:N0} s, RetentionInterval = {options.RetentionInterval.TotalSeconds:N0} s");

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>How one store is soaked.</summary>
    private sealed record SoakSetup(string Name, string FileName, BenchStore Store, int Callers, int Window, Action<JobTrackingOptions> Configure, TimeSpan MinimumWarmup);
}
