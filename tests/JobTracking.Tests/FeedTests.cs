using System.Collections.Concurrent;
using JobTracking.Storage;
using JobTracking.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobTracking.Tests;

/// <summary>Events, waits and signals read from the store's change feed: nothing lost, nothing stale, nothing blocked.</summary>
public sealed class FeedTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task WaitSubscriber_IssuingCommandsFromAFullBuffer_NothingHangs()
    {
        await using var host = TestHost.Create(o => o.MaxConcurrency = 4);
        var duplicates = new ConcurrentDictionary<Guid, Guid>();
        var handled = 0;
        // A one-event buffer that the handler fills at once, and a handler that calls back into the runner: the
        // "cancel the duplicate when the original starts" pattern. No engine lock may be held while it runs.
        using var subscription = host.Events.Subscribe(
            async e =>
            {
                if (e.IsStarted && duplicates.TryGetValue(e.JobId, out var duplicate))
                {
                    await host.Runner.CancelAsync(duplicate);
                    Interlocked.Increment(ref handled);
                }
            },
            new JobSubscriptionOptions { Overflow = JobEventOverflow.Wait, BufferCapacity = 1, IncludeProgress = false });
        await host.StartAsync();

        var ids = new List<Guid>();
        for (var i = 0; i < 200; i++)
        {
            // Drafts first, so the pair is known before the original can start.
            var duplicate = await host.Runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1 });
            var id = await host.Runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1 });
            duplicates[id] = duplicate;
            ids.Add(id);
        }

        foreach (var id in ids)
        {
            await host.Runner.SubmitAsync(id);
        }

        await Task.WhenAll(ids.Select(id => host.WaitAsync(id, JobStatus.Completed))).WaitAsync(Bound);
        await Wait.UntilAsync(() => Volatile.Read(ref handled) == 200, "the handler's 200 commands");
        foreach (var duplicate in duplicates.Values)
        {
            (await host.Tracker.GetAsync(duplicate)).Status.Should().Be(JobStatus.Cancelled);
        }
    }

    [Fact]
    public async Task OnJobFinished_DefaultOptions_CountsEveryJobWithItsStoredFigures()
    {
        const int Jobs = 200_000;
        await using var host = TestHost.Create(
            o => (o.MaxConcurrency, o.MaxFinishedJobsInMemory) = (8, null),
            configure: b => b.AddJob<FiguresJob>());
        var finished = new ConcurrentDictionary<Guid, JobEvent>();
        var duplicates = 0;
        using var subscription = host.Events.OnJobFinished(e =>
        {
            if (!finished.TryAdd(e.JobId, e))
            {
                Interlocked.Increment(ref duplicates);
            }
        });
        await host.StartAsync();

        var ids = new Guid[Jobs];
        for (var i = 0; i < Jobs; i++)
        {
            ids[i] = await host.Runner.StartAsync(nameof(FiguresJob), new FiguresParameters { Warnings = i % 5, Done = i % 97 });
        }

        await Wait.UntilAsync(() => finished.Count == Jobs, $"{Jobs:N0} finished notifications", TimeSpan.FromMinutes(3));
        duplicates.Should().Be(0);
        subscription.DroppedEvents.Should().Be(0);
        foreach (var id in ids)
        {
            var stored = await host.Tracker.GetAsync(id);
            var e = finished[id];
            e.Status.Should().Be(JobStatus.Completed);
            (e.WarningCount, e.Progress, e.Version).Should().Be((stored.WarningCount, stored.Progress, stored.Version), "the notification of job {0} carries what was stored", id);
        }
    }

    [Fact]
    public async Task PauseAndCancel_IssuedByAnotherHost_ReachTheRunThroughTheFeed()
    {
        var store = TestHost.CreateMemoryStore();
        await using var worker = await TestHost.Create(store: store, configure: b => b.AddJob<UntilStoppedJob>()).StartAsync();
        // The other host shares the store but runs nothing: its commands cannot reach the run but through the feed.
        await using var console = TestHost.Create(store: store, configure: b => b.AddJob<UntilStoppedJob>());

        var id = await console.Runner.StartAsync(nameof(UntilStoppedJob), new UntilStoppedParameters());
        await worker.WaitAsync(id, JobStatus.Running);
        await console.Runner.PauseAsync(id); // the run goes from safe point to safe point until it hears of it
        (await worker.WaitAsync(id, JobStatus.Paused)).Checkpoint.Should().Be("1");

        await console.Runner.ResumeAsync(id);
        await worker.WaitAsync(id, JobStatus.Running);
        await console.Runner.CancelAsync(id); // the resumed run waits on its token: only the feed can fire it
        (await worker.WaitAsync(id, JobStatus.Cancelled)).Status.Should().Be(JobStatus.Cancelled);
    }

    [Fact]
    public async Task Subscribe_AfterSequence_ResumesWithoutAGap()
    {
        await using var host = await TestHost.Create().StartAsync();
        var first = new ConcurrentQueue<JobEvent>();
        var subscription = host.Events.Subscribe(first.Enqueue, new JobSubscriptionOptions { IncludeProgress = false });
        var a = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        await host.WaitAsync(a, JobStatus.Completed);
        await Wait.UntilAsync(() => first.Any(e => e.JobId == a && e.IsFinished), "job a's finished event");
        subscription.Dispose();
        var last = first.Last().Sequence;

        var b = await host.StartStepJobAsync(new StepParameters { Steps = 1 }); // while nobody listens
        await host.WaitAsync(b, JobStatus.Completed);

        var resumed = new ConcurrentQueue<JobEvent>();
        using var again = host.Events.Subscribe(resumed.Enqueue, new JobSubscriptionOptions { IncludeProgress = false, AfterSequence = last });
        await Wait.UntilAsync(() => resumed.Any(e => e.JobId == b && e.IsFinished), "job b's events, read back from the feed");
        resumed.Select(e => e.JobId).Should().OnlyContain(id => id == b);
        resumed.Select(e => e.Status).Should().Equal(JobStatus.Queued, JobStatus.Running, JobStatus.Completed);
        resumed.Select(e => e.Sequence).Should().BeInAscendingOrder().And.OnlyContain(s => s > last);
    }

    [Fact]
    public async Task WaitSubscriber_HeldUpWhileFarMoreThanTheFeedHoldsIsWritten_HoldsNewWorkBack_AndLosesNothing()
    {
        var store = new InMemoryJobStore(feedCapacity: 1024);
        await using var host = await TestHost.Create(store: store).StartAsync();
        using var gate = new SemaphoreSlim(0);
        var completed = 0;
        using var slow = host.Events.Subscribe(async e =>
        {
            await gate.WaitAsync();
            if (e.Status == JobStatus.Completed)
            {
                Interlocked.Increment(ref completed);
            }
        }, new JobSubscriptionOptions { IncludeProgress = false });

        // 4,000 jobs make about 12,000 changes: far more than the store's feed (1,024) and the engine's cache (8,192) hold.
        var starter = Task.Run(async () =>
        {
            for (var i = 0; i < 4_000; i++)
            {
                await host.StartStepJobAsync(new StepParameters { Steps = 0 });
            }
        });
        await Wait.UntilAsync(() => Head(store) >= 800, "the first changes written");
        starter.IsCompleted.Should().BeFalse("new work waits for the subscriber, whose clock never moves here");

        gate.Release(1_000_000);
        await starter.WaitAsync(Bound);
        await Wait.UntilAsync(() => Volatile.Read(ref completed) == 4_000, "every job's Completed event at the subscriber");
        slow.DroppedEvents.Should().Be(0);
    }

    [Fact]
    public async Task WaitSubscriber_HeldUpPastTheWaitLimit_IsLetGo_NewWorkGoesOn_AndItsLossIsCounted()
    {
        var store = new InMemoryJobStore(feedCapacity: 1024);
        await using var host = await TestHost.Create(store: store).StartAsync();
        using var gate = new SemaphoreSlim(0);
        using var slow = host.Events.Subscribe(async _ => await gate.WaitAsync(), new JobSubscriptionOptions { IncludeProgress = false });
        var starter = Task.Run(async () =>
        {
            for (var i = 0; i < 4_000; i++)
            {
                await host.StartStepJobAsync(new StepParameters { Steps = 0 });
            }
        });
        await Wait.UntilAsync(() => Head(store) >= 800, "the first changes written");

        // The host's clock moves: after 5 s of it the subscriber is let go, and the starts go on.
        await Wait.UntilAsync(() =>
        {
            host.Time.Advance(TimeSpan.FromMilliseconds(100));
            return starter.IsCompleted;
        }, "every start stored once the subscriber was let go");

        // Let go, the subscriber no longer holds anything back: every job runs, and the ring moves far past it.
        await Wait.UntilAsync(
            async () => (await store.CountAsync()).Where(c => c.Status == JobStatus.Completed).Sum(c => c.Count) == 4_000,
            "every job completed while the subscriber was still held up");
        gate.Release(1_000_000);
        await Wait.UntilAsync(() => slow.DroppedEvents > 0, "the let-go subscriber's lost events, counted");
    }

    private static long Head(InMemoryJobStore store) => store.ReadFeedAsync(0, Memory<JobChange>.Empty).AsTask().Result.LatestSequence;

    [Fact]
    public async Task ThousandWaiters_CostOneFeedReaderNotAThousandPolls()
    {
        var store = new CountingJobStore(TestHost.CreateMemoryStore(), shared: true);
        await using var host = await TestHost.Create(o => o.MaxConcurrency = 1, store: store).StartAsync();
        var created = 0;
        using var seen = host.Events.Subscribe(e =>
        {
            if (e.Kind == JobEventKind.Created)
            {
                Interlocked.Increment(ref created);
            }

            return ValueTask.CompletedTask;
        });
        var ids = new List<Guid>();
        for (var i = 0; i < 1_000; i++)
        {
            ids.Add(await host.Runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 0 }));
        }

        // A subscriber reads a change only after the engine's feed reader has handled it: once it has seen every draft's
        // creation, no creation is left to wake a waiter registered below (which would read its job once more).
        await Wait.UntilAsync(() => Volatile.Read(ref created) == 1_000, "the engine's feed reader past every draft's creation");

        var readsByDrafts = store.Calls.GetValueOrDefault(nameof(IJobStore.GetAsync));
        var waits = ids.Select(id => host.WaitAsync(id, JobStatus.Completed)).ToList();
        await Wait.UntilAsync(() => store.Calls.GetValueOrDefault(nameof(IJobStore.GetAsync)) >= readsByDrafts + 1_000, "every waiter's first read");
        var readsBefore = store.Calls.GetValueOrDefault(nameof(IJobStore.GetAsync));
        host.Time.Advance(TimeSpan.FromMinutes(10)); // no poll interval may wake them: only the feed does

        store.Calls.GetValueOrDefault(nameof(IJobStore.GetAsync)).Should().Be(readsBefore, "an idle waiter costs nothing");
        foreach (var id in ids)
        {
            await host.Runner.SubmitAsync(id);
        }

        await Task.WhenAll(waits).WaitAsync(Bound);
        store.Calls.GetValueOrDefault(nameof(IJobStore.GetAsync)).Should().BeLessThanOrEqualTo(
            readsBefore + (1_000 * 4) + 1_000, "a waiter reads its job again only when the feed shows it changed (4 changes each), besides the engine's own reads");
    }

    [Fact]
    public async Task Events_CreatedAndDraftEdits_VersionsNeverJump()
    {
        await using var host = await TestHost.Create().StartAsync();
        var seen = new ConcurrentQueue<JobEvent>();
        using var subscription = host.Events.Subscribe(seen.Enqueue);
        var id = await host.Runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1 });
        await host.Runner.UpdateDraftAsync(id, new StepParameters { Steps = 0 }, "renamed");
        await host.Runner.SubmitAsync(id);
        await host.WaitAsync(id, JobStatus.Completed);
        await Wait.UntilAsync(() => seen.Any(e => e.JobId == id && e.IsFinished), "the finished event");

        var path = seen.Where(e => e.JobId == id && e.Kind != JobEventKind.Progress).ToList();
        path.Select(e => (e.Kind, e.Status, e.Version)).Should().Equal(
            (JobEventKind.Created, JobStatus.Editing, 1L),
            (JobEventKind.DraftEdited, JobStatus.Editing, 2L),
            (JobEventKind.StatusChanged, JobStatus.Queued, 3L),
            (JobEventKind.StatusChanged, JobStatus.Running, 4L),
            (JobEventKind.StatusChanged, JobStatus.Completed, 5L));
        path[1].DisplayName.Should().Be("renamed");
        path.Should().OnlyContain(e => !(e.Kind == JobEventKind.StatusChanged && e.PreviousStatus == e.Status), "no move from a status to itself");
    }
}

public sealed record UntilStoppedParameters;

/// <summary>Runs until it is stopped: first from safe point to safe point, then (after a resume) waiting on its token alone.</summary>
public sealed class UntilStoppedJob : JobDefinition<UntilStoppedParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<UntilStoppedParameters> context)
    {
        if (context.GetCheckpoint<int>() == 0)
        {
            context.SetCheckpoint(1);
            while (true)
            {
                await Task.Yield();
                await context.SafePointAsync();
            }
        }

        // Nothing but the token ends this wait.
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = context.CancellationToken.Register(() => cancelled.TrySetCanceled(context.CancellationToken));
        await cancelled.Task;
    }
}

public sealed record FiguresParameters
{
    public int Warnings { get; init; }

    public long Done { get; init; }
}

/// <summary>Reports progress and warnings, then completes: its notification must carry what it stored.</summary>
public sealed class FiguresJob : JobDefinition<FiguresParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<FiguresParameters> context)
    {
        context.ReportProgress(context.Parameters.Done, 97);
        for (var i = 0; i < context.Parameters.Warnings; i++)
        {
            await context.LogAsync(LogLevel.Warning, "w");
        }
    }
}
