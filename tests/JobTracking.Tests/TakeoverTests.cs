using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Tests;

/// <summary>
/// A live instance taking over the jobs of one that is gone (its lease expired) or stopped, on a store shared as by
/// several processes (the in-memory store declared shared), with the clock moved by hand one heartbeat at a time.
/// </summary>
public sealed class TakeoverTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);

    /// <summary>Heartbeats enough for the lease of a job claimed now to run out and a heartbeat to find it.</summary>
    private static readonly int BeatsPastTheLease = (int)(Lease / Heartbeat) + 1;

    [Fact]
    public async Task InstanceGone_ItsJobRunsAgainInItsPlace_BeforeJobsQueuedAfterIt_AndBeforeTheNextJobOfItsKey()
    {
        var time = NewTime();
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        var orphan = await ClaimedByAGoneInstanceAsync(store, time, key: "profile-1");
        await using var host = await TestHost.Create(Options(o => o.MaxConcurrency = 1), store: store, time: time).StartAsync();
        var busy = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await host.Probe.For(busy).WaitForStepAsync(0);
        var sameKey = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { ConcurrencyKey = "profile-1" });
        var other = await host.StartStepJobAsync(new StepParameters { Steps = 1 });

        for (var beat = 0; beat < BeatsPastTheLease; beat++)
        {
            await HeartbeatAsync(host, store);
        }

        var requeued = await host.Tracker.GetAsync(orphan.Id);
        requeued.Status.Should().Be(JobStatus.Queued, "the reclaim queued it again in the same step");
        requeued.Version.Should().Be(orphan.Version + 2, "Interrupted, then Queued");
        host.Probe.For(busy).Release();
        foreach (var id in new[] { orphan.Id, sameKey, other })
        {
            await host.WaitAsync(id, JobStatus.Completed);
        }

        // Once the worker is free it takes the dead instance's job, back in its place, before the jobs queued after it
        // and before the next job of its key (whose turn comes after it).
        var claims = store.Trail.Where(t => t.StartsWith("claimed", StringComparison.Ordinal)).ToList();
        claims.Should().HaveCount(4);
        claims.Take(2).Should().Equal([$"claimed {busy}", $"claimed {orphan.Id}"], "the dead instance's job goes back to its place, ahead of the jobs queued after it, and keeps its concurrency key");
        claims.Skip(2).Should().BeEquivalentTo([$"claimed {sameKey}", $"claimed {other}"]);
    }

    [Fact]
    public async Task InstanceStoppedCleanly_ItsInterruptedJobIsResumedByTheLiveInstance_FromItsCheckpoint()
    {
        var time = NewTime();
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        var probe = new Probe();
        var stopped = await TestHost.Create(Options(o => o.NodeName = "stopped"), store: store, probe: probe, time: time).StartAsync();
        var id = await stopped.StartStepJobAsync(new StepParameters { Steps = 3, Blocking = true, HonourToken = false });
        await probe.For(id).WaitForStepAsync(0);
        await using var live = await TestHost.Create(Options(o => o.NodeName = "live"), store: store, probe: probe, time: time).StartAsync();

        var stopping = stopped.StopAsync();
        await stopped.WaitAsync(id, JobStatus.ShuttingDown);
        probe.For(id).Release();
        await stopping;
        await stopped.DisposeAsync();
        (await live.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Interrupted, "the stopped instance stored it so, with its checkpoint");

        await HeartbeatAsync(live, store);
        await probe.For(id).WaitForStepAsync(1);
        probe.For(id).Release(2);
        var done = await live.WaitAsync(id, JobStatus.Completed);

        probe.For(id).Executed.Should().Equal([0, 1, 2], "the live instance resumed it from its checkpoint");
        (done.Node, done.Attempt).Should().Be(("live", 1));
    }

    [Fact]
    public async Task PausedWhileItsInstanceWasGone_EndsPausedWithItsCheckpoint_AndRunsOnlyOnceResumed()
    {
        var time = NewTime();
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        var orphan = await ClaimedByAGoneInstanceAsync(store, time, steps: 2);
        (await store.SaveProgressAsync(new JobProgressUpdate
        {
            JobId = orphan.Id,
            ClaimId = orphan.ClaimId,
            Report = new JobReport { Progress = new JobProgress(1, 2), Steps = [], WarningCount = 0 },
            HasCheckpoint = true,
            Checkpoint = "1",
        })).Should().BeTrue();
        await using var host = await TestHost.Create(Options(), store: store, time: time).StartAsync();

        await host.Runner.PauseAsync(orphan.Id);
        for (var beat = 0; beat < BeatsPastTheLease; beat++)
        {
            await HeartbeatAsync(host, store);
        }

        var paused = await host.Tracker.GetAsync(orphan.Id);
        (paused.Status, paused.Checkpoint).Should().Be((JobStatus.Paused, "1"), "a job reclaimed while pausing ends where its owner would have left it");
        await HeartbeatAsync(host, store);
        store.Trail.Should().NotContain($"claimed {orphan.Id}", "a paused job runs only once resumed");

        await host.Runner.ResumeAsync(orphan.Id);
        await host.WaitAsync(orphan.Id, JobStatus.Completed);
        host.Probe.For(orphan.Id).Executed.Should().Equal([1], "it continues from its checkpoint");
    }

    [Fact]
    public async Task CancelledWhileItsInstanceWasGone_EndsCancelledAtTheReclaim_AndNeverRunsAgain()
    {
        var time = NewTime();
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        var orphan = await ClaimedByAGoneInstanceAsync(store, time);
        await using var host = await TestHost.Create(Options(), store: store, time: time).StartAsync();

        await host.Runner.CancelAsync(orphan.Id);
        (await host.Tracker.GetAsync(orphan.Id)).Status.Should().Be(JobStatus.Cancelling, "nobody runs it to honour the cancel until its lease runs out");
        for (var beat = 0; beat < BeatsPastTheLease; beat++)
        {
            await HeartbeatAsync(host, store);
        }

        (await host.Tracker.GetAsync(orphan.Id)).Status.Should().Be(JobStatus.Cancelled);
        store.Trail.Should().NotContain($"claimed {orphan.Id}");
    }

    [Fact]
    public async Task ResumeInterruptedJobsOff_AReclaimedJobStaysInterrupted_HeartbeatAfterHeartbeat()
    {
        var time = NewTime();
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        var orphan = await ClaimedByAGoneInstanceAsync(store, time);
        await using var host = await TestHost.Create(Options(o => o.ResumeInterruptedJobs = false), store: store, time: time).StartAsync();

        for (var beat = 0; beat < BeatsPastTheLease + 2; beat++)
        {
            await HeartbeatAsync(host, store);
        }

        (await host.Tracker.GetAsync(orphan.Id)).Status.Should().Be(JobStatus.Interrupted, "with the option off an interrupted job waits for a restart");
        store.Trail.Should().NotContain($"claimed {orphan.Id}");
    }

    [Fact]
    public async Task StoppingInstance_TakesNothingOver_ItsInterruptedJobsStayInterruptedForALiveInstance()
    {
        var time = NewTime();
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        var host = await TestHost.Create(Options(o => o.ShutdownGracePeriod = TimeSpan.FromMinutes(1)), store: store, time: time).StartAsync();
        var first = await host.StartStepJobAsync(new StepParameters { Steps = 2, Blocking = true, HonourToken = false });
        var second = await host.StartStepJobAsync(new StepParameters { Steps = 2, Blocking = true, HonourToken = false });
        await host.Probe.For(first).WaitForStepAsync(0);
        await host.Probe.For(second).WaitForStepAsync(0);

        var stopping = host.StopAsync();
        await host.WaitAsync(first, JobStatus.ShuttingDown);
        await host.WaitAsync(second, JobStatus.ShuttingDown);
        host.Probe.For(first).Release();
        await host.WaitAsync(first, JobStatus.Interrupted);
        var reclaims = store.Calls.GetValueOrDefault(nameof(IJobStore.ReclaimAsync));
        var renewals = store.Calls.GetValueOrDefault(nameof(IJobStore.RenewLeasesAsync));
        time.Advance(Heartbeat);
        await Wait.UntilAsync(() => store.Calls.GetValueOrDefault(nameof(IJobStore.RenewLeasesAsync)) > renewals, "the heartbeat renewing the lease of the job still stopping");

        store.Calls.GetValueOrDefault(nameof(IJobStore.ReclaimAsync)).Should().Be(reclaims, "a stopping instance takes nothing over");
        (await store.GetAsync(first))!.Status.Should().Be(JobStatus.Interrupted, "its own interrupted job is left for a live instance or the next start");
        host.Probe.For(second).Release();
        await stopping;
        (await store.GetAsync(second))!.Status.Should().Be(JobStatus.Interrupted);
        await host.DisposeAsync();
    }

    private static FakeTimeProvider NewTime() => new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    private static Action<JobTrackingOptions> Options(Action<JobTrackingOptions>? more = null) => o =>
    {
        o.LeaseDuration = Lease;
        o.HeartbeatInterval = Heartbeat;
        more?.Invoke(o);
    };

    /// <summary>A job claimed by an instance that then vanished (as after SIGKILL): Running on a lease that nobody renews.</summary>
    private static async Task<JobRecord> ClaimedByAGoneInstanceAsync(CountingJobStore store, TimeProvider time, string? key = null, int steps = 1)
    {
        var job = new JobRecord
        {
            Id = Guid.CreateVersion7(),
            TypeName = nameof(StepJob),
            DisplayName = "orphan",
            Status = JobStatus.Queued,
            Version = 1,
            Parameters = $"{{\"steps\":{steps}}}",
            ConcurrencyKey = key,
            CreatedAt = time.GetUtcNow(),
        };
        await store.CreateAsync(job);
        var claimed = await store.ClaimAsync(new JobClaimRequest { InstanceId = "gone-instance", Node = "gone", MaxCount = 1, At = time.GetUtcNow(), LeaseDuration = Lease });
        claimed.Should().ContainSingle().Which.Id.Should().Be(job.Id);
        store.Trail.Clear(); // the trail shows the live instances' claims only
        return claimed[0];
    }

    /// <summary>Moves the clock one heartbeat on and waits until that heartbeat's reclaim has been made.</summary>
    private static async Task HeartbeatAsync(TestHost host, CountingJobStore store)
    {
        var reclaims = store.Calls.GetValueOrDefault(nameof(IJobStore.ReclaimAsync));
        host.Time.Advance(Heartbeat);
        await Wait.UntilAsync(() => store.Calls.GetValueOrDefault(nameof(IJobStore.ReclaimAsync)) > reclaims, "the next heartbeat's reclaim");
    }
}
