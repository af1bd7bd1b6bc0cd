using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using System.Diagnostics.Metrics;

namespace JobTracking.Tests;

public sealed class EventsTests
{
    [Fact]
    public async Task TenThousandJobs_EightWorkers_EverySubscriberSeesEveryEventOnceInOrder()
    {
        const int jobs = 10_000;
        await using var host = TestHost.Create(o => o.MaxConcurrency = 8);
        var lossless = new JobSubscriptionOptions { IncludeProgress = false, BufferCapacity = 4096, Overflow = JobEventOverflow.Wait };
        var callbackSeen = new ConcurrentDictionary<Guid, List<JobEvent>>();
        using var callback = host.Events.Subscribe(e => callbackSeen.GetOrAdd(e.JobId, _ => []).Add(e), lossless);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var streamSeen = new Dictionary<Guid, List<JobEvent>>();
        var finished = 0;
        var stream = host.Events.ReadAllAsync(lossless, stop.Token).GetAsyncEnumerator(stop.Token);
        var first = stream.MoveNextAsync(); // the subscription starts with the enumeration
        var reader = Task.Run(async () =>
        {
            await using var _ = stream;
            while (await first)
            {
                var e = stream.Current;
                if (!streamSeen.TryGetValue(e.JobId, out var list))
                {
                    streamSeen[e.JobId] = list = [];
                }

                list.Add(e);
                if (e.IsFinished && ++finished == jobs)
                {
                    return;
                }

                first = stream.MoveNextAsync();
            }
        });
        await host.StartAsync();

        var ids = new List<Guid>(jobs);
        for (var i = 0; i < jobs; i++)
        {
            ids.Add(await host.StartStepJobAsync(new StepParameters { Steps = 1 }));
        }

        await reader.WaitAsync(stop.Token);
        foreach (var id in ids)
        {
            await host.WaitAsync(id, JobStatus.Completed);
        }

        var expected = new[] { JobStatus.Queued, JobStatus.Running, JobStatus.Completed };
        foreach (var id in ids)
        {
            streamSeen[id].Select(e => e.Status).Should().Equal(expected);
            streamSeen[id].Select(e => e.Version).Should().Equal(1, 2, 3);
        }

        await Wait.UntilAsync(() => ids.All(id => callbackSeen.TryGetValue(id, out var list) && list.Count == 3), "three events of every job at the callback");
        foreach (var id in ids)
        {
            callbackSeen[id].Select(e => e.Status).Should().Equal(expected);
        }
    }

    [Fact]
    public async Task ThrowingBlockingAndLeavingSubscribers_DoNotDisturbJobsOrOthers()
    {
        await using var host = TestHost.Create(o => o.MaxConcurrency = 4);
        var healthy = new ConcurrentQueue<JobEvent>();
        var thrown = 0;
        using var gate = new SemaphoreSlim(0);
        using var throwing = host.Events.Subscribe(e =>
        {
            Interlocked.Increment(ref thrown);
            throw new InvalidOperationException("subscriber bug");
        }, new JobSubscriptionOptions { IncludeProgress = false });
        using var blocked = host.Events.Subscribe(async e => await gate.WaitAsync(), new JobSubscriptionOptions { IncludeProgress = false, BufferCapacity = 4, Overflow = JobEventOverflow.DropOldest });
        var caughtUp = 0;
        using var blockedKeepingAll = host.Events.Subscribe(async e =>
        {
            await gate.WaitAsync();
            Interlocked.Increment(ref caughtUp);
        }, new JobSubscriptionOptions { IncludeProgress = false, BufferCapacity = 4 });
        var leaverCount = 0;
        IJobSubscription? leaver = null;
        leaver = host.Events.Subscribe(e =>
        {
            if (Interlocked.Increment(ref leaverCount) == 5)
            {
                leaver!.Dispose();
            }
        }, new JobSubscriptionOptions { IncludeProgress = false });
        using var subscription = host.Events.Subscribe(healthy.Enqueue, new JobSubscriptionOptions { IncludeProgress = false, BufferCapacity = 10_000 });
        await host.StartAsync();

        var ids = new List<Guid>();
        for (var i = 0; i < 100; i++)
        {
            ids.Add(await host.StartStepJobAsync(new StepParameters { Steps = 2 }));
        }

        foreach (var id in ids)
        {
            await host.WaitAsync(id, JobStatus.Completed);
        }

        await Wait.UntilAsync(() => healthy.Count == 300, "300 events at the healthy subscriber");
        healthy.GroupBy(e => e.JobId).Should().HaveCount(100).And.OnlyContain(g => g.Count() == 3);
        await Wait.UntilAsync(() => Volatile.Read(ref thrown) == 300, "300 events at the throwing handler");
        // Each subscriber reads at its own pace: the leaver may not have reached its fifth event yet.
        await Wait.UntilAsync(() => Volatile.Read(ref leaverCount) >= 5, "the leaver's fifth event, after which it unsubscribes");
        leaverCount.Should().Be(5, "a subscriber that unsubscribed gets nothing more");
        gate.Release(1000);
        await Wait.UntilAsync(() => blocked.DroppedEvents > 250, "a blocked DropOldest subscriber with a 4-event buffer skips to the newest events and counts the rest");
        await Wait.UntilAsync(() => Volatile.Read(ref caughtUp) == 300, "a blocked subscriber with the default options catches up on all 300 events from the feed");
        blockedKeepingAll.DroppedEvents.Should().Be(0);
    }

    [Fact]
    public async Task ReadAllAsync_Filters_OnlyMatchingEvents()
    {
        await using var host = await TestHost.Create().StartAsync();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var mine = new List<JobEvent>();
        var ready = new TaskCompletionSource();
        var reading = Task.Run(async () =>
        {
            var stream = host.Events.ReadAllAsync(new JobSubscriptionOptions { LaunchedBy = "alice", Statuses = [JobStatus.Completed] }, stop.Token);
            await using var enumerator = stream.GetAsyncEnumerator(stop.Token);
            var next = enumerator.MoveNextAsync(); // subscribes
            ready.SetResult();
            while (await next)
            {
                mine.Add(enumerator.Current);
                if (mine.Count == 2)
                {
                    return;
                }

                next = enumerator.MoveNextAsync();
            }
        });
        await ready.Task;

        var a1 = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { LaunchedBy = "alice" });
        await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { LaunchedBy = "bob" });
        var a2 = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { LaunchedBy = "alice" });
        await reading.WaitAsync(stop.Token);

        mine.Select(e => e.JobId).Should().BeEquivalentTo([a1, a2], string.Join("\n", mine.Select(e => $"{e.JobId} {e.PreviousStatus}->{e.Status} v{e.Version} {e.LaunchedBy}")) + $" a1={a1} a2={a2}");
        mine.Should().OnlyContain(e => e.IsFinished && e.Status == JobStatus.Completed && e.LaunchedBy == "alice");
    }

    [Theory]
    [InlineData(0)] // every change stored at once: nothing left to store with the final status
    [InlineData(3600)] // nothing stored before the end: the final report rides on the final status
    public async Task OnJobFinished_CarriesTheFinalWarningsAndProgress(int progressSeconds)
    {
        await using var host = await TestHost.Create(o => o.ProgressInterval = TimeSpan.FromSeconds(progressSeconds), configure: b => b.AddJob<JournalJob>()).StartAsync();
        var finished = new ConcurrentQueue<JobEvent>();
        using var subscription = host.Events.OnJobFinished(finished.Enqueue);

        var id = await host.Runner.StartAsync(nameof(JournalJob), new JournalParameters { Lines = 10, Rejects = 67 });
        var stored = await host.WaitAsync(id, JobStatus.Completed);

        await Wait.UntilAsync(() => !finished.IsEmpty, "the finished notification");
        stored.WarningCount.Should().Be(67);
        finished.Single().WarningCount.Should().Be(stored.WarningCount);
        finished.Single().Progress.Should().Be(stored.Progress);
    }

    [Fact]
    public async Task OnJobStartedAndFinished_FlashAndNotification_CarryStatusAndError()
    {
        await using var host = await TestHost.Create().StartAsync();
        var started = new ConcurrentQueue<JobEvent>();
        var finished = new ConcurrentQueue<JobEvent>();
        using var s1 = host.Events.OnJobStarted(started.Enqueue);
        using var s2 = host.Events.OnJobFinished(finished.Enqueue);

        var ok = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        var bad = await host.StartStepJobAsync(new StepParameters { Steps = 2, FailAt = 1 });
        await host.WaitAsync(ok, JobStatus.Completed);
        await host.WaitAsync(bad, JobStatus.Failed);

        await Wait.UntilAsync(() => started.Count == 2 && finished.Count == 2, "two started and two finished notifications");
        started.Should().OnlyContain(e => e.IsStarted);
        finished.Single(e => e.JobId == bad).Error!.Message.Should().Be("Step 1 failed on purpose.");
        finished.Single(e => e.JobId == ok).Status.Should().Be(JobStatus.Completed);
    }

    [Fact]
    public async Task ProgressEvents_AreThrottledPerJob()
    {
        // Checkpoints, which also store the report, are kept out of the way: here only the throttled reports are stored.
        await using var host = await TestHost.Create(o => (o.ProgressInterval, o.CheckpointInterval) = (TimeSpan.FromSeconds(1), TimeSpan.FromHours(1))).StartAsync();
        var progress = new ConcurrentQueue<JobEvent>();
        var finished = new ConcurrentQueue<JobEvent>();
        using var subscription = host.Events.Subscribe(e =>
        {
            if (e.Kind == JobEventKind.Progress)
            {
                progress.Enqueue(e);
            }
            else if (e.IsFinished)
            {
                finished.Enqueue(e);
            }
        });

        var id = await host.StartStepJobAsync(new StepParameters { Steps = 4, Blocking = true });
        var probe = host.Probe.For(id);
        probe.Release(2); // two reports within the same second: none published yet
        await probe.WaitForStepAsync(2);
        progress.Should().BeEmpty();
        host.Time.Advance(TimeSpan.FromSeconds(1)); // the second is up: the latest pending report (2) is published
        await Wait.UntilAsync(() => progress.Count == 1, "the first progress event");
        probe.Release(); // the third report comes within the next second: held back
        await probe.WaitForStepAsync(3);
        probe.Release();
        await host.WaitAsync(id, JobStatus.Completed);

        await Wait.UntilAsync(() => !finished.IsEmpty, "the finished event");
        progress.Select(e => e.Progress.Done).Should().Equal(2); // the one pending when the second was up
        finished.Single().Progress.Done.Should().Be(4, "the final progress rides on the status event that ends the run");
    }

    [Fact]
    public async Task AddEventHandler_ResolvedPerEventInItsOwnScope()
    {
        var log = new ConcurrentQueue<(Guid Scope, JobStatus Status)>();
        await using var host = TestHost.Create(configure: b =>
        {
            b.Services.AddSingleton(log);
            b.Services.AddScoped<ScopedThing>();
            b.AddEventHandler<RecordingHandler>(new JobSubscriptionOptions { IncludeProgress = false });
        });
        await host.StartAsync();

        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        await host.WaitAsync(id, JobStatus.Completed);

        await Wait.UntilAsync(() => log.Count == 3, "three events at the handler");
        log.Select(x => x.Status).Should().Equal(JobStatus.Queued, JobStatus.Running, JobStatus.Completed);
        log.Select(x => x.Scope).Distinct().Should().HaveCount(3, "each event gets a new scope");
    }

    [Fact]
    public async Task Metrics_CountJobsByStatusAndRecordDurations()
    {
        await using var host = TestHost.Create();
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        using var finished = new MetricCollector<long>(factory, JobTrackingTelemetry.Name, "jobtracking.jobs.finished");
        using var created = new MetricCollector<long>(factory, JobTrackingTelemetry.Name, "jobtracking.jobs.created");
        using var duration = new MetricCollector<double>(factory, JobTrackingTelemetry.Name, "jobtracking.job.duration");
        using var running = new MetricCollector<int>(factory, JobTrackingTelemetry.Name, "jobtracking.jobs.running");
        using var depth = new MetricCollector<long>(factory, JobTrackingTelemetry.Name, "jobtracking.queue.depth");
        await host.StartAsync();

        var ok = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        var bad = await host.StartStepJobAsync(new StepParameters { Steps = 2, FailAt = 0 });
        await host.WaitAsync(ok, JobStatus.Completed);
        await host.WaitAsync(bad, JobStatus.Failed);

        created.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(2);

        // A run records its outcome just after its final status is stored (which is what the waits above saw): wait for it rather than race it.
        await Wait.UntilAsync(() => finished.GetMeasurementSnapshot().Count == 2 && duration.GetMeasurementSnapshot().Count == 2, "both outcomes recorded");
        var byStatus = finished.GetMeasurementSnapshot().GroupBy(m => (string)m.Tags["job.status"]!).ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
        byStatus.Should().BeEquivalentTo(new Dictionary<string, long> { ["Completed"] = 1, ["Failed"] = 1 });
        duration.GetMeasurementSnapshot().Should().HaveCount(2).And.OnlyContain(m => (string)m.Tags["job.type"]! == nameof(StepJob));
        // A run leaves the running count just after its final status is stored: wait for it rather than race it.
        await Wait.UntilAsync(() =>
        {
            running.RecordObservableInstruments();
            return running.LastMeasurement?.Value == 0;
        }, "the running gauge back at 0");
        depth.RecordObservableInstruments();
        depth.LastMeasurement!.Value.Should().Be(0);
    }

    [Fact]
    public async Task Activities_OnePerAttempt_LinkedAcrossPauseResume()
    {
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == JobTrackingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var host = await TestHost.Create().StartAsync();

        var id = await host.StartStepJobAsync(new StepParameters { Steps = 2, Blocking = true });
        var probe = host.Probe.For(id);
        await probe.WaitForStepAsync(0);
        await host.Runner.PauseAsync(id);
        probe.Release();
        await host.WaitAsync(id, JobStatus.Paused);
        await host.Runner.ResumeAsync(id);
        probe.Release();
        await host.WaitAsync(id, JobStatus.Completed);

        // The activity ends just after the job's resting status is stored.
        await Wait.UntilAsync(() => activities.Count(a => (string?)a.GetTagItem("job.id") == id.ToString()) == 2, "the job's two activities to end");
        var mine = activities.Where(a => (string?)a.GetTagItem("job.id") == id.ToString()).OrderBy(a => a.StartTimeUtc).ToList();
        mine.Should().HaveCount(2);
        mine[0].GetTagItem("job.status").Should().Be("Paused");
        mine[1].GetTagItem("job.status").Should().Be("Completed");
        mine[1].GetTagItem("job.type").Should().Be(nameof(StepJob));
        mine[1].Links.Should().ContainSingle().Which.Context.SpanId.Should().Be(mine[0].SpanId);
    }

    public sealed class ScopedThing
    {
        public Guid Id { get; } = Guid.NewGuid();
    }

    public sealed class RecordingHandler(ScopedThing scoped, ConcurrentQueue<(Guid, JobStatus)> log) : IJobEventHandler
    {
        public ValueTask HandleAsync(JobEvent jobEvent, CancellationToken cancellationToken)
        {
            log.Enqueue((scoped.Id, jobEvent.Status));
            return ValueTask.CompletedTask;
        }
    }
}
