using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using JobTracking.Storage;
using JobTracking.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace JobTracking.TestSupport;

/// <summary>One fault of the matrix: what the store does wrong, from when and for how long.</summary>
/// <param name="Name">The row's name.</param>
/// <param name="Begin">Turns the fault on.</param>
/// <param name="End">Turns it off.</param>
public sealed record FaultScenario(string Name, Action<FaultInjectingJobStore> Begin, Action<FaultInjectingJobStore> End)
{
    /// <summary>Gets how long the fault lasts once a third of the jobs are acknowledged; <see langword="null"/> for the whole run.</summary>
    public TimeSpan? Window { get; init; }

    /// <summary>Gets whether every job keeps all its log lines (each StepJob step logs one), or the fault may drop some.</summary>
    public bool KeepsEveryLogLine { get; init; } = true;

    /// <summary>Gets how every job ends: Completed, or Failed when the fault refuses for good what a job cannot do without.</summary>
    public JobStatus Outcome { get; init; } = JobStatus.Completed;

    /// <summary>Gets the share of the run's job count this row uses: rows that slow every job down run fewer.</summary>
    public double Scale { get; init; } = 1;

    /// <summary>Gets the number of jobs this row runs out of a base count.</summary>
    public int Jobs(int baseCount) => Math.Max(10, (int)(baseCount * Scale));

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>The rows of the fault matrix, the same on every store.</summary>
public static class FaultScenarios
{
    /// <summary>How long the store is down, or a call kind fails for good, in the windowed rows.</summary>
    public static readonly TimeSpan Outage = TimeSpan.FromSeconds(5);

    /// <summary>Gets every row, the fault-free baseline first.</summary>
    public static IReadOnlyList<FaultScenario> All { get; } =
    [
        new("no fault", _ => { }, _ => { }),
        Transient(0.01) with { Scale = 0.5 },
        Transient(0.10) with { Scale = 0.25 },
        Transient(0.30) with { Scale = 0.05 },
        new("latency spikes: 5 % of calls wait 200 ms", s => (s.Delay, s.DelayRate) = (TimeSpan.FromMilliseconds(200), 0.05), s => s.Delay = null) { Scale = 0.1 },
        new("store down for 5 s, then back", s => s.IsDown = true, s => s.IsDown = false) { Window = Outage },
        FailsForGood(nameof(IJobStore.ClaimAsync), "claims fail for good for 5 s, then mended", Outage),
        FailsForGood(nameof(IJobStore.SaveProgressAsync), "progress and checkpoint saves fail for good", window: null) with { Outcome = JobStatus.Failed, KeepsEveryLogLine = false },
        FailsForGood(nameof(IJobJournalStore.AppendJournalAsync), "journal appends fail for good for 5 s, then mended", Outage) with { KeepsEveryLogLine = false },
    ];

    /// <summary>Gets the row called <paramref name="name"/>.</summary>
    public static FaultScenario Named(string name) => All.Single(s => s.Name == name);

    private static FaultScenario Transient(double rate) =>
        new(string.Create(CultureInfo.InvariantCulture, $"transient errors on {rate:P0} of calls"), s => s.TransientFailureRate = rate, s => s.TransientFailureRate = 0);

    private static FaultScenario FailsForGood(string call, string name, TimeSpan? window) =>
        new(name, s => s.FailsPermanently = c => c == call, s => s.FailsPermanently = null) { Window = window };
}

/// <summary>What one row of the matrix did.</summary>
public sealed record FaultRunResult
{
    /// <summary>Gets the row.</summary>
    public required string Scenario { get; init; }

    /// <summary>Gets how many starts the store acknowledged (returned an id).</summary>
    public required int Acknowledged { get; init; }

    /// <summary>Gets how many starts failed and were tried again by their caller (never acknowledged, so never owed).</summary>
    public required int StartsRefused { get; init; }

    /// <summary>Gets how many acknowledged jobs ended Completed, with one "finished" event and each step run once.</summary>
    public required int CompletedExactlyOnce { get; init; }

    /// <summary>Gets how many acknowledged jobs ended in another final status (Failed, Cancelled), each once.</summary>
    public required int EndedOtherwise { get; init; }

    /// <summary>Gets how many acknowledged jobs had not finished when the fault ended (windowed rows).</summary>
    public int HeldUpByFault { get; init; }

    /// <summary>Gets how many jobs were started after the fault ended (windowed rows).</summary>
    public int AcknowledgedAfterFault { get; init; }

    /// <summary>Gets how many acknowledged jobs the store no longer has, or that never ended within the deadline.</summary>
    public required int Lost { get; init; }

    /// <summary>Gets how many jobs finished more than once (events) or ran a step twice.</summary>
    public required int Duplicated { get; init; }

    /// <summary>Gets how many jobs lack some of their log lines.</summary>
    public required int MissingLogLines { get; init; }

    /// <summary>Gets how many faults the decorator injected (errors and delays).</summary>
    public required long FaultsInjected { get; init; }

    /// <summary>Gets the run's duration, first start to last job finished.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Gets, for a windowed fault, the time from its end to the first job finished after it.</summary>
    public TimeSpan? FirstFinishAfterFault { get; init; }

    /// <summary>Gets, for a windowed fault, the time from its end until every job started before it had finished.</summary>
    public TimeSpan? BacklogDrainedAfterFault { get; init; }

    /// <summary>Gets the final statuses of the jobs that did not complete, with the first error seen.</summary>
    public string? OtherOutcomes { get; init; }

    /// <inheritdoc/>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Scenario}: {Acknowledged} acknowledged ({Acknowledged / Duration.TotalSeconds:0} jobs/s; {StartsRefused} starts refused and retried by the caller), {CompletedExactlyOnce} completed exactly once, {EndedOtherwise} ended otherwise{(OtherOutcomes is null ? "" : $" ({OtherOutcomes})")}, {Lost} lost, {Duplicated} duplicated, {MissingLogLines} missing log lines, {FaultsInjected} faults injected, {Duration.TotalSeconds:0.00} s{(FirstFinishAfterFault is { } first ? $", {HeldUpByFault} jobs unfinished when the fault ended, first finish {first.TotalMilliseconds:0} ms after the fault ended, backlog drained in {BacklogDrainedAfterFault?.TotalMilliseconds:0} ms" : "")}");
}

/// <summary>
/// Runs one row of the fault matrix against a store: callers start jobs in a closed loop (each waits for its job to finish
/// before starting the next), the fault is turned on for the whole run or for a window once a third of the jobs are
/// acknowledged, and at the end every acknowledged job is read back from the store.
/// </summary>
/// <remarks>On the system clock with the host's default retry settings: the recovery times are what a user would see.</remarks>
public static class FaultMatrix
{
    /// <summary>Runs <paramref name="scenario"/> with <paramref name="jobs"/> jobs of three steps each.</summary>
    /// <param name="inner">The store under test; the caller disposes it.</param>
    /// <param name="scenario">The fault.</param>
    /// <param name="jobs">How many jobs to acknowledge.</param>
    /// <param name="callers">How many callers start jobs at once (so at most as many jobs are in flight).</param>
    /// <param name="deadline">How long to wait for the last job before counting the rest as lost.</param>
    /// <param name="loggerProvider">Where the host logs, or <see langword="null"/> for nowhere.</param>
    public static async Task<FaultRunResult> RunAsync(IJobStore inner, FaultScenario scenario, int jobs, int callers = 16, TimeSpan? deadline = null, ILoggerProvider? loggerProvider = null)
    {
        var store = new FaultInjectingJobStore(inner, seed: 11);
        var steps = new StepLog();
        using var host = new HostBuilder()
            .ConfigureLogging(l =>
            {
                l.ClearProviders();
                if (loggerProvider is not null)
                {
                    l.AddProvider(loggerProvider);
                    l.SetMinimumLevel(LogLevel.Warning);
                }
            })
            .ConfigureServices(services =>
            {
                services.AddSingleton(steps);
                services.AddJobTracking(b => b
                    .AddJob<StepJob>()
                    .UseStore(store)
                    .Configure(o =>
                    {
                        o.MaxConcurrency = callers; // every caller's job runs at once: a job slowed by the fault holds only its own slot
                        o.CheckpointInterval = TimeSpan.Zero; // every step's checkpoint is a store call the fault can hit
                        o.ProgressInterval = TimeSpan.FromMilliseconds(10);
                    }));
            })
            .Build();
        await host.StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var tracker = host.Services.GetRequiredService<IJobTracker>();

        var finished = new ConcurrentDictionary<Guid, int>();
        var finishedAt = new ConcurrentDictionary<Guid, long>();
        var waiting = new ConcurrentDictionary<Guid, TaskCompletionSource>();
        var clock = Stopwatch.StartNew();
        long faultEndedAt = 0, firstFinishAfter = 0;
        using var subscription = host.Services.GetRequiredService<IJobEvents>().Subscribe(e =>
        {
            if (!e.IsFinished)
            {
                return;
            }

            finished.AddOrUpdate(e.JobId, 1, (_, n) => n + 1);
            finishedAt.TryAdd(e.JobId, clock.ElapsedTicks);
            if (Volatile.Read(ref faultEndedAt) != 0)
            {
                Interlocked.CompareExchange(ref firstFinishAfter, clock.ElapsedTicks, 0);
            }

            waiting.GetOrAdd(e.JobId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }, new JobSubscriptionOptions { Overflow = JobEventOverflow.Wait, BufferCapacity = jobs * 4 });

        var acknowledged = new ConcurrentQueue<Guid>();
        var next = -1;
        var refused = 0;
        var afterFault = 0;
        var thirdAcknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var until = deadline ?? TimeSpan.FromMinutes(2);
        using var giveUp = new CancellationTokenSource(until + (scenario.Window ?? TimeSpan.Zero));

        if (scenario.Window is null)
        {
            scenario.Begin(store);
        }

        var fault = scenario.Window is { } window ? WindowAsync(window) : Task.CompletedTask;
        Guid[] beforeFaultEnd = [];
        var heldUp = 0;
        async Task WindowAsync(TimeSpan window)
        {
            await thirdAcknowledged.Task.ConfigureAwait(false);
            scenario.Begin(store);
            await Task.Delay(window).ConfigureAwait(false);
            beforeFaultEnd = [.. acknowledged];
            heldUp = beforeFaultEnd.Count(id => !finishedAt.ContainsKey(id));
            scenario.End(store);
            Volatile.Write(ref faultEndedAt, clock.ElapsedTicks);
        }

        async Task CallerAsync()
        {
            while (Interlocked.Increment(ref next) < jobs && !giveUp.IsCancellationRequested)
            {
                Guid id;
                while (true)
                {
                    try
                    {
                        id = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 3, MillisecondsPerStep = 0 }).ConfigureAwait(false);
                        break;
                    }
                    catch (InjectedStoreFaultException)
                    {
                        Interlocked.Increment(ref refused); // tried again at once: the start spent its own retries, backing off, before it failed
                        giveUp.Token.ThrowIfCancellationRequested();
                    }
                }

                acknowledged.Enqueue(id);
                if (Volatile.Read(ref faultEndedAt) != 0)
                {
                    Interlocked.Increment(ref afterFault);
                }

                if (acknowledged.Count >= jobs / 3)
                {
                    thirdAcknowledged.TrySetResult();
                }

                await waiting.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(giveUp.Token).ConfigureAwait(false);
            }
        }

        var work = Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(CallerAsync)));
        try
        {
            await Task.WhenAll(work, fault).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
        {
            // Counted below: what never finished is lost.
        }

        var duration = clock.Elapsed;
        TimeSpan? drained = null;
        if (faultEndedAt != 0 && beforeFaultEnd.All(finishedAt.ContainsKey))
        {
            var last = beforeFaultEnd.Length == 0 ? faultEndedAt : Math.Max(faultEndedAt, beforeFaultEnd.Max(id => finishedAt[id]));
            drained = Ticks(last - faultEndedAt);
        }

        scenario.End(store);
        await host.StopAsync().ConfigureAwait(false);

        var completedOnce = 0;
        var other = 0;
        var lost = 0;
        var duplicated = 0;
        var missingLines = 0;
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var id in acknowledged)
        {
            var job = await inner.GetAsync(id).ConfigureAwait(false);
            if (job is null || !JobLifecycle.IsFinished(job.Status))
            {
                lost++;
                var state = job is null ? "missing from the store" : $"still {job.Status} at the deadline";
                outcomes[state] = outcomes.GetValueOrDefault(state) + 1;
                continue;
            }

            var events = finished.GetValueOrDefault(id);
            var ran = steps.Of(id);
            if (events > 1 || ran.Count != ran.Distinct().Count())
            {
                duplicated++;
            }

            if (job.Status == JobStatus.Completed && events == 1 && ran.SequenceEqual([0, 1, 2]))
            {
                completedOnce++;
            }
            else if (job.Status != JobStatus.Completed && events == 1)
            {
                other++;
                var key = $"{job.Status}: {job.Error?.Message}";
                outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
            }

            var lines = await ((IJobJournalStore)inner).ReadLogAsync(id, new JournalQuery { PageSize = 100 }).ConfigureAwait(false);
            if (lines.Items.Count(l => l.Message.StartsWith("step ", StringComparison.Ordinal)) != 3)
            {
                missingLines++;
            }
        }

        return new FaultRunResult
        {
            Scenario = scenario.Name,
            Acknowledged = acknowledged.Count,
            StartsRefused = refused,
            CompletedExactlyOnce = completedOnce,
            EndedOtherwise = other,
            Lost = lost,
            Duplicated = duplicated,
            MissingLogLines = missingLines,
            FaultsInjected = store.InjectedFaults + store.DelayedCalls,
            AcknowledgedAfterFault = afterFault,
            HeldUpByFault = heldUp,
            Duration = duration,
            FirstFinishAfterFault = firstFinishAfter == 0 ? null : Ticks(firstFinishAfter - faultEndedAt),
            BacklogDrainedAfterFault = drained,
            OtherOutcomes = outcomes.Count == 0 ? null : string.Join("; ", outcomes.Select(o => $"{o.Value} {o.Key}")),
        };
    }

    private static TimeSpan Ticks(long stopwatchTicks) => TimeSpan.FromSeconds((double)stopwatchTicks / Stopwatch.Frequency);
}
