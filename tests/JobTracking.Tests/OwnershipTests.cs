using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Tests;

/// <summary>Ownership when the store does not answer: leases are deadlines on the node, every claim is renewed, a stopped host writes nothing.</summary>
public sealed class OwnershipTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task CutOff_StoreDoesNotAnswer_RunStopsAtItsNodeDeadline_BeforeTheStoreLeaseEnds_AndTheNewOwnerNeverOverlapsIt()
    {
        var time = NewTime();
        var memory = TestHost.CreateMemoryStore(time: time);
        var storeA = new InterceptingStore(memory);
        var storeB = new InterceptingStore(memory);
        var probeA = new Probe();
        var probeB = new Probe();
        await using var hostA = await TestHost.Create(o => Short(o, "a"), store: storeA, probe: probeA, time: time).StartAsync();
        var id = await hostA.StartStepJobAsync(new StepParameters { Steps = 5, Blocking = true });
        await probeA.For(id).WaitForStepAsync(0);
        probeA.For(id).Release();
        await probeA.For(id).WaitForStepAsync(1); // step 0 done and its checkpoint stored at the safe point before step 1

        // The network to the store drops: every call of host A fails (not refused: no answer at all).
        storeA.CutOff = true;
        await AdvanceAsync(time, Lease - ClaimMargin - TimeSpan.FromMilliseconds(100));
        probeA.Running.Should().Be(1, "the node deadline (lease less a fifth, from when the claim was sent) has not passed yet");

        await AdvanceAsync(time, TimeSpan.FromMilliseconds(200));
        await Wait.UntilAsync(() => probeA.Running == 0, "host A's run stopped at its node deadline");
        (await memory.GetAsync(id))!.Status.Should().Be(JobStatus.Running, "the store's lease has not ended yet: between the two nobody runs the job");

        // Another instance takes the job over once the store's lease has ended, from the stored checkpoint.
        await using var hostB = await TestHost.Create(o => Short(o, "b"), store: storeB, probe: probeB, time: time).StartAsync();
        await AdvanceUntilAsync(time, () => probeB.For(id).Runs == 1, "host B runs the job");
        await probeB.For(id).WaitForStepAsync(1);
        probeB.For(id).Release(4);
        await hostB.WaitAsync(id, JobStatus.Completed);

        probeA.For(id).Executed.Should().Equal([0], "host A stopped in step 1, before doing it");
        probeB.For(id).Executed.Should().Equal([1, 2, 3, 4], "host B resumed from the checkpoint after step 0");

        // The network comes back: host A's run wrote nothing more, and nothing it holds is renewed or written.
        var before = storeA.Writes.Count;
        storeA.CutOff = false;
        await AdvanceAsync(time, Lease);
        storeA.Writes.Skip(before).Where(w => Concerns(w, id)).Select(w => w.Call).Should().BeEmpty();
        (await memory.GetAsync(id))!.Status.Should().Be(JobStatus.Completed);
    }

    [Fact]
    public async Task ClaimedAgainByTheSameInstance_WhileItsLostRunIgnoresItsToken_TheNewRunWaitsForTheOldOneToReturn()
    {
        var time = NewTime();
        var store = new InterceptingStore(TestHost.CreateMemoryStore(time: time));
        await using var host = await TestHost.Create(o => Short(o, "a"), store: store, time: time).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 2, Blocking = true, HonourToken = false, NoSafePoints = true });
        var probe = host.Probe.For(id);
        await probe.WaitForStepAsync(0);

        // The store stops answering past the node's deadline: the run is lost here, but its code goes on.
        store.CutOff = true;
        await AdvanceAsync(time, Lease);
        store.CutOff = false;

        // The store's lease ends; this instance reclaims the job, queues it again and claims it anew.
        await AdvanceUntilAsync(time, () => store.GetAsync(id).AsTask().Result is { Status: JobStatus.Running, Version: > 2 }, "the job claimed again");
        await AdvanceAsync(time, Heartbeat * 3);
        probe.Runs.Should().Be(1, "the new run waits for the old code to return");

        probe.Release(2); // the old code finishes its two steps and returns; nothing of it is stored
        await AdvanceUntilAsync(time, () => probe.Runs == 2, "the new run starts once the old one returned");
        await probe.WaitForStepAsync(1);
        probe.Release(2);
        await AdvanceUntilAsync(time, () => store.GetAsync(id).AsTask().Result?.Status == JobStatus.Completed, "the new run completes the job");

        host.Probe.MaxRunning.Should().Be(1, "one job never runs twice at once on one instance");
    }

    [Fact]
    public async Task FinalWriteFailingForThreeLeases_TheWorkerRunsTheNextJob_AndTheFinishedJobsLeaseIsRenewedUntilItsWriteLands()
    {
        var time = NewTime();
        var memory = TestHost.CreateMemoryStore(time: time);
        var store = new InterceptingStore(memory);
        await using var host = await TestHost.Create(o => { Short(o, "a"); o.MaxConcurrency = 1; }, store: store, time: time).StartAsync();
        var first = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await host.Probe.For(first).WaitForStepAsync(0);
        var next = await host.StartStepJobAsync(new StepParameters { Steps = 1 });

        // The first job's final write fails (no answer) for three leases; its one worker goes on with the next job meanwhile.
        var failing = 1;
        store.Fault = (call, argument) => Volatile.Read(ref failing) == 1 && argument is JobTransition { ToStatus: JobStatus.Completed } t && t.JobId == first
            ? new StoreUnreachableException(call)
            : null;
        host.Probe.For(first).Release();
        await Wait.UntilAsync(() => memory.GetAsync(next).AsTask().Result!.Status == JobStatus.Completed, "the next job completed while the first one's final write fails");
        (await memory.GetAsync(first))!.Status.Should().Be(JobStatus.Running);
        await AdvanceAsync(time, 3 * Lease);
        (await memory.GetAsync(first))!.Status.Should().Be(JobStatus.Running, "its lease was renewed while its final write was retried: never reclaimed");

        Volatile.Write(ref failing, 0);
        await AdvanceUntilAsync(time, () => memory.GetAsync(first).Result!.Status == JobStatus.Completed, "the first job's final write stored");

        host.Probe.For(first).Runs.Should().Be(1, "never reclaimed, never run twice");
        host.Probe.For(next).Runs.Should().Be(1);
        host.Probe.MaxRunning.Should().Be(1, "the worker took the next job only once the first one's code had returned");
        (await host.Tracker.GetAsync(first)).Attempts.Should().ContainSingle().Which.Status.Should().Be(JobStatus.Completed);
        store.Writes.Where(w => w.Call == nameof(IJobStore.RenewLeasesAsync) && ((JobLeaseRenewal)w.Argument).Claims.ContainsKey(first)).Should().NotBeEmpty();
    }

    [Fact]
    public async Task StopAsync_JobIgnoringItsToken_IsAbandoned_AndNothingOfItReachesTheStoreAfterStopReturns()
    {
        var time = NewTime();
        var store = new InterceptingStore(TestHost.CreateMemoryStore(time: time)) { Shared = false };
        await using var host = TestHost.Create(
            o =>
            {
                o.ShutdownGracePeriod = TimeSpan.Zero;
                o.ProgressInterval = TimeSpan.Zero;
            },
            store: store,
            time: time);
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        using var running = new MetricCollector<int>(factory, JobTrackingTelemetry.Name, "jobtracking.jobs.running");
        await host.StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 3, Blocking = true, HonourToken = false, NoSafePoints = true });
        await host.Probe.For(id).WaitForStepAsync(0);

        using (var shutdown = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await host.Host.StopAsync(shutdown.Token);
        }

        var before = store.Writes.Count;
        host.Probe.For(id).Release(3); // the abandoned job goes on: it reports progress and returns as if it completed
        await Wait.UntilAsync(() =>
        {
            running.RecordObservableInstruments();
            return host.Probe.Running == 0 && running.LastMeasurement?.Value == 0;
        }, "the abandoned run ended");

        store.Writes.Skip(before).Should().BeEmpty("a stopped host drops the claims of the runs it abandons");
        (await store.GetAsync(id))!.Status.Should().Be(JobStatus.ShuttingDown, "never stored as finished by a run the host gave up");
    }

    [Fact]
    public async Task FinalWrite_LosingItsCompareAndSetToAPauseAndResume_IsRetriedWithTheFinalReport()
    {
        var time = NewTime();
        var memory = TestHost.CreateMemoryStore(time: time);
        var store = new InterceptingStore(memory) { Shared = false };
        await using var host = await TestHost.Create(o => o.ProgressInterval = TimeSpan.FromHours(1), store: store, time: time).StartAsync();
        var raced = 0;
        store.Fault = (_, argument) =>
        {
            if (argument is JobTransition { ToStatus: JobStatus.Completed } t && Interlocked.Exchange(ref raced, 1) == 0)
            {
                // A pause and a resume land between the job's return and its final write: the write's version is stale.
                var job = memory.GetAsync(t.JobId).AsTask().Result!;
                memory.TryTransitionAsync(new JobTransition { JobId = job.Id, FromStatus = JobStatus.Running, ExpectedVersion = job.Version, ToStatus = JobStatus.Pausing, At = time.GetUtcNow() }).AsTask().Result.Should().BeTrue();
                memory.TryTransitionAsync(new JobTransition { JobId = job.Id, FromStatus = JobStatus.Pausing, ExpectedVersion = job.Version + 1, ToStatus = JobStatus.Running, At = time.GetUtcNow() }).AsTask().Result.Should().BeTrue();
            }

            return null;
        };

        var id = await host.StartStepJobAsync(new StepParameters { Steps = 20, NoSafePoints = true });
        var done = await host.WaitAsync(id, JobStatus.Completed);

        Volatile.Read(ref raced).Should().Be(1);
        done.Progress.Should().Be(new JobProgress(20, 20), "the retried final write carries the report the first one built");
    }

    [Fact]
    public async Task FinalWrite_RefusedWhileTheJobReadsUnchanged_IsTriedAHundredTimes_ThenTheRunGivesTheJobUp()
    {
        var time = NewTime();
        var memory = TestHost.CreateMemoryStore(time: time);
        var store = new InterceptingStore(memory) { Shared = false };
        await using var host = await TestHost.Create(o => { Short(o, "a"); o.ResumeInterruptedJobs = false; }, store: store, time: time).StartAsync();
        Guid id = default;
        store.Refuses = t => t.JobId == id && t.ToStatus == JobStatus.Completed;
        id = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await host.Probe.For(id).WaitForStepAsync(0);
        host.Probe.For(id).Release();

        // The run gives up; its lease is no longer renewed, and the heartbeat reclaims the job once it has lapsed.
        await AdvanceUntilAsync(time, () => memory.GetAsync(id).Result!.Status == JobStatus.Interrupted, "the job reclaimed");
        store.Writes.Count(w => w.Argument is JobTransition { ToStatus: JobStatus.Completed } t && t.JobId == id).Should().Be(100);
        host.Probe.For(id).Runs.Should().Be(1);
    }

    [Fact]
    public async Task FencingToken_GrowsWithEveryClaimOfTheJob()
    {
        var tokens = new ConcurrentQueue<long>();
        await using var host = await TestHost.Create(configure: b => b.AddJob<FencedJob>().Services.AddSingleton(tokens)).StartAsync();
        var id = await host.Runner.StartAsync(nameof(FencedJob), new FencedParameters());
        await Wait.UntilAsync(() => tokens.Count == 1, "the first run");
        await host.Runner.PauseAsync(id);
        await host.WaitAsync(id, JobStatus.Paused);
        await host.Runner.ResumeAsync(id);
        await Wait.UntilAsync(() => tokens.Count == 2, "the second run");
        await host.Runner.PauseAsync(id);
        await host.WaitAsync(id, JobStatus.Paused);
        await host.Runner.ResumeAsync(id);
        await Wait.UntilAsync(() => tokens.Count == 3, "the third run");
        await host.Runner.CancelAsync(id);
        await host.WaitAsync(id, JobStatus.Cancelled);

        tokens.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        tokens.Should().OnlyContain(t => t > 0);
    }

    [Fact]
    public async Task TwoHosts_RandomFailuresAndCutOffsLongerThanTheLease_EveryJobCompletesOnce_NoJobRunsTwiceAtOnce()
    {
        var time = NewTime();
        var memory = TestHost.CreateMemoryStore(time: time);
        var random = new Random(2026);
        Exception? Flaky(string call, object? _)
        {
            lock (random)
            {
                return random.NextDouble() < 0.05 ? new StoreUnreachableException(call) : null;
            }
        }

        var storeA = new InterceptingStore(memory);
        var storeB = new InterceptingStore(memory);
        var runs = new GuardedRuns();
        void Configure(JobTrackingBuilder b) => b.AddJob<GuardedJob>().Services.AddSingleton(runs);
        await using var hostA = await TestHost.Create(o => Short(o, "a"), store: storeA, time: time, configure: Configure).StartAsync();
        await using var hostB = await TestHost.Create(o => Short(o, "b"), store: storeB, time: time, configure: Configure).StartAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 200; i++)
        {
            ids.Add(await (i % 2 == 0 ? hostA : hostB).Runner.StartAsync(nameof(GuardedJob), new GuardedParameters(5)));
        }

        // From now on 5 % of every host's store calls fail (their retries wait on the clock the loop below moves).
        storeA.Fault = Flaky;
        storeB.Fault = Flaky;

        // The fake clock moves 4 ms at a time; each host is cut off twice, for one and a half leases, at different moments.
        var start = time.GetUtcNow();
        var step = TimeSpan.FromMilliseconds(4);
        var cuts = new (InterceptingStore Store, TimeSpan From)[] { (storeA, TimeSpan.FromSeconds(0.3)), (storeB, TimeSpan.FromSeconds(3.5)), (storeA, TimeSpan.FromSeconds(6.7)), (storeB, TimeSpan.FromSeconds(9.9)) };
        await Wait.UntilAsync(() =>
        {
            time.Advance(step);
            var elapsed = time.GetUtcNow() - start;
            foreach (var (store, from) in cuts)
            {
                store.CutOff = store.CutOff ? !(elapsed >= from + Lease * 1.5 && elapsed < from + Lease * 1.5 + step) : elapsed >= from && elapsed < from + step;
            }

            return elapsed > TimeSpan.FromSeconds(13) && ids.All(id => memory.GetAsync(id).AsTask().Result!.Status == JobStatus.Completed);
        }, "every job completed", TimeSpan.FromMinutes(3));

        runs.MostAtOnce.Should().Be(1, "no job ever ran on two instances at once");
        foreach (var id in ids)
        {
            var steps = runs.Steps(id);
            steps.Distinct().Should().BeEquivalentTo([0, 1, 2, 3, 4]);
            runs.Starts(id).Should().BeInAscendingOrder("each run resumes from the last stored checkpoint, which never goes back: only work after it runs again");
        }

        runs.Total.Should().BeGreaterThan(200, "some runs lost their jobs to the cut-offs and were taken over");
    }

    private static readonly TimeSpan ClaimMargin = Lease / 5;

    private static void Short(JobTrackingOptions o, string node)
    {
        o.NodeName = node;
        o.LeaseDuration = Lease;
        o.HeartbeatInterval = Heartbeat;
        o.TransientRetryDelay = TimeSpan.FromMilliseconds(50);
        o.TransientRetryMaxDelay = TimeSpan.FromMilliseconds(400);
    }

    private static bool ClaimedAfter(InMemoryJobStore memory, Guid next) => memory.GetAsync(next).AsTask().Result!.Status == JobStatus.Running;

    private static bool Concerns((string Call, object Argument) write, Guid id) => write.Argument switch
    {
        JobTransition t => t.JobId == id,
        JobProgressUpdate u => u.JobId == id,
        IReadOnlyList<JobJournalEntry> entries => entries.Any(e => e.JobId == id),
        JobLeaseRenewal r => r.Claims.ContainsKey(id),
        _ => false,
    };

    private static FakeTimeProvider NewTime() => new(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));

    // Moves the fake clock on in small steps, letting the heartbeats, retries and runs it wakes take their turn.
    private static async Task AdvanceAsync(FakeTimeProvider time, TimeSpan span)
    {
        for (var moved = TimeSpan.Zero; moved < span; moved += TimeSpan.FromMilliseconds(50))
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(2);
        }
    }

    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition, string what)
    {
        await Wait.UntilAsync(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            return condition();
        }, what);
    }
}

public sealed record FencedParameters;

public sealed record GuardedParameters(int Steps);

/// <summary>What every run of <see cref="GuardedJob"/> did, across hosts: how many runs of one job were in its code at once, and which steps ran.</summary>
public sealed class GuardedRuns
{
    private readonly ConcurrentDictionary<Guid, int> _inside = new();
    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<int>> _steps = new();
    private readonly ConcurrentDictionary<Guid, int> _runs = new();
    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<int>> _starts = new();
    private int _mostAtOnce;
    private int _total;

    public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

    public int Total => Volatile.Read(ref _total);

    public int Runs(Guid id) => _runs.GetValueOrDefault(id);

    public IReadOnlyList<int> Steps(Guid id) => [.. _steps.GetValueOrDefault(id, new())];

    public IReadOnlyList<int> Starts(Guid id) => [.. _starts.GetValueOrDefault(id, new())];

    public void Enter(Guid id, int from)
    {
        _starts.GetOrAdd(id, _ => new()).Enqueue(from);
        Interlocked.Increment(ref _total);
        _runs.AddOrUpdate(id, 1, (_, n) => n + 1);
        var now = _inside.AddOrUpdate(id, 1, (_, n) => n + 1);
        int most;
        while (now > (most = Volatile.Read(ref _mostAtOnce)) && Interlocked.CompareExchange(ref _mostAtOnce, now, most) != most)
        {
        }
    }

    public void Ran(Guid id, int step) => _steps.GetOrAdd(id, _ => new()).Enqueue(step);

    public void Leave(Guid id) => _inside.AddOrUpdate(id, 0, (_, n) => n - 1);
}

/// <summary>Steps of 40 ms on the host's clock, a checkpoint after each, honouring its token.</summary>
public sealed class GuardedJob(GuardedRuns runs, TimeProvider time) : JobDefinition<GuardedParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<GuardedParameters> context)
    {
        runs.Enter(context.JobId, context.GetCheckpoint<int>());
        try
        {
            for (var step = context.GetCheckpoint<int>(); step < context.Parameters.Steps; step++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(40), time, context.CancellationToken);
                runs.Ran(context.JobId, step);
                context.SetCheckpoint(step + 1);
                await context.SafePointAsync();
            }
        }
        finally
        {
            runs.Leave(context.JobId);
        }
    }
}

/// <summary>Records its fencing token, then waits on its cancellation token at safe points until paused or cancelled.</summary>
public sealed class FencedJob(ConcurrentQueue<long> tokens) : JobDefinition<FencedParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<FencedParameters> context)
    {
        tokens.Enqueue(context.FencingToken);
        while (true)
        {
            await context.SafePointAsync();
            await Task.Delay(1, context.CancellationToken);
        }
    }
}
