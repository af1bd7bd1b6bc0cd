using JobTracking.Ownership;
using JobTracking.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Tests;

/// <summary>The list of instances sharing a store: heartbeats with the lease renewals, a clean stop, a silent instance judged and forgotten by the store's clock.</summary>
public sealed class InstanceTests
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task TwoHosts_AreBothListed_WithTheirRunningJobs_AndOneStoppedCleanlyIsGone()
    {
        var time = NewTime();
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        var t0 = time.GetUtcNow();
        var probe = new Probe();
        await using var alpha = await TestHost.Create(Options(o => o.NodeName = "alpha"), store: store, probe: probe, time: time).StartAsync();
        var beta = await TestHost.Create(Options(o => { o.NodeName = "beta"; o.MaxConcurrency = 2; }), store: store, probe: probe, time: time).StartAsync();

        var listed = await alpha.Tracker.GetInstancesAsync();

        listed.Select(i => (i.Node, i.IsCurrent, i.IsAnswering, i.MaxConcurrency, i.RunningJobs, i.StartedAt, i.LastHeartbeatAt, i.SilentFor))
            .Should().Equal(("alpha", true, true, 4, 0, t0, t0, TimeSpan.Zero), ("beta", false, true, 2, 0, t0, t0, TimeSpan.Zero));
        listed.Select(i => i.InstanceId).Should().OnlyHaveUniqueItems();
        listed.Should().OnlyContain(i => i.Version.Length > 0 && !i.Version.Contains('+'));
        (await beta.Tracker.GetInstancesAsync()).Single(i => i.IsCurrent).Node.Should().Be("beta");

        // The store is shared: either instance may claim the job.
        var id = await alpha.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true, HonourToken = false });
        await probe.For(id).WaitForStepAsync(0);
        var node = (await alpha.Tracker.GetAsync(id)).Node;

        // The next heartbeat records the instance whose count of running jobs changed; the other one's row is 2 s old,
        // less than half a lease, and is left (the beat after shows that nothing was recorded late).
        await BeatAsync(alpha, beta);
        await BeatAsync(alpha, beta);
        var instances = await alpha.Tracker.GetInstancesAsync();
        instances.Select(i => (i.Node, i.RunningJobs, i.StartedAt, i.LastHeartbeatAt))
            .Should().Equal(
                ("alpha", node == "alpha" ? 1 : 0, t0, node == "alpha" ? t0 + Heartbeat : t0),
                ("beta", node == "beta" ? 1 : 0, t0, node == "beta" ? t0 + Heartbeat : t0));

        // Half a lease (5 s) after its last row, the idle one is recorded again.
        await BeatAsync(alpha, beta);
        await BeatAsync(alpha, beta);
        (await alpha.Tracker.GetInstancesAsync()).Single(i => i.Node != node).LastHeartbeatAt.Should().Be(t0 + (3 * Heartbeat));
        probe.For(id).Release();
        await alpha.WaitAsync(id, JobStatus.Completed);

        await beta.StopAsync();
        await beta.DisposeAsync();

        (await alpha.Tracker.GetInstancesAsync()).Select(i => i.Node).Should().Equal(["alpha"], "an instance that stops cleanly takes itself off the list");
    }

    [Fact]
    public async Task SilentInstance_IsNotAnsweringAfterThreeLeases_ThenForgotten()
    {
        var time = NewTime();
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        await using var alpha = await TestHost.Create(Options(o => { o.NodeName = "alpha"; o.ForgetInstancesAfter = TimeSpan.FromMinutes(1); }), store: store, time: time).StartAsync();
        var gamma = await TestHost.Create(Options(o => o.NodeName = "gamma"), store: store, time: time).StartAsync();

        // As a process killed: its heartbeats stop, and it never takes itself off the list.
        await ((IAsyncDisposable)gamma.Host).DisposeAsync();

        for (var beat = 0; beat < 15; beat++)
        {
            await BeatAsync(alpha);
        }

        var silent = (await alpha.Tracker.GetInstancesAsync()).Single(i => i.Node == "gamma");
        (silent.IsAnswering, silent.SilentFor).Should().Be((true, TimeSpan.FromSeconds(30)), "three lease durations (30 s) of silence still answer");
        await BeatAsync(alpha);
        var listed = await alpha.Tracker.GetInstancesAsync();
        listed.Single(i => i.Node == "gamma").IsAnswering.Should().BeFalse("32 s of silence is more than three lease durations");
        listed.Single(i => i.Node == "alpha").IsAnswering.Should().BeTrue();

        for (var beat = 0; beat < 14; beat++)
        {
            await BeatAsync(alpha);
        }

        (await alpha.Tracker.GetInstancesAsync()).Select(i => i.Node).Should().Equal(["alpha", "gamma"], "60 s of silence is not more than ForgetInstancesAfter");

        // The silent ones are looked for once per lease duration (at 0, 10, ... 60 s): the next look is at 70 s.
        for (var beat = 0; beat < 4; beat++)
        {
            await BeatAsync(alpha);
        }

        (await alpha.Tracker.GetInstancesAsync()).Select(i => i.Node).Should().Equal(["alpha", "gamma"], "the purge runs once per lease duration");
        await BeatAsync(alpha);
        await Wait.UntilAsync(async () => (await alpha.Tracker.GetInstancesAsync()).Count == 1, "the silent instance forgotten");
        (await alpha.Tracker.GetInstancesAsync()).Single().Node.Should().Be("alpha");
    }

    [Fact]
    public async Task FailingHeartbeats_DoNotStopJobs_AndResumeAtTheNextTick()
    {
        var time = NewTime();
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        await using var host = await TestHost.Create(Options(), store: store, time: time).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 2, Blocking = true, HonourToken = false });
        await host.Probe.For(id).WaitForStepAsync(0);

        store.FailsHeartbeats = true;
        var renewals = store.Calls.GetValueOrDefault(nameof(IJobStore.ReclaimAsync));
        time.Advance(Heartbeat);
        await Wait.UntilAsync(() => store.Calls.GetValueOrDefault(nameof(IJobStore.ReclaimAsync)) > renewals, "a heartbeat whose instance record fails");
        time.Advance(Heartbeat);
        host.Probe.For(id).Release(2);
        (await host.WaitAsync(id, JobStatus.Completed)).Status.Should().Be(JobStatus.Completed);
        (await host.Tracker.GetInstancesAsync()).Single().LastHeartbeatAt.Should().Be(time.GetUtcNow() - (Heartbeat * 2), "the failed heartbeats recorded nothing");

        // The next heartbeat records it: its row is more than half a lease old.
        store.FailsHeartbeats = false;
        await BeatAsync(host);
        await Wait.UntilAsync(async () => (await host.Tracker.GetInstancesAsync()).Single().SilentFor == TimeSpan.Zero, "the heartbeat after the failures recorded");
    }

    [Fact]
    public async Task IdleInstance_RecordsItselfEveryHalfLease_PurgesOncePerLease_AndCountsNoQueueNobodyWatches()
    {
        var time = NewTime();
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        await using var host = await TestHost.Create(Options(), store: store, time: time).StartAsync();
        var before = (Records: Calls(nameof(IJobInstanceStore.RecordHeartbeatAsync)), Purges: Calls(nameof(IJobInstanceStore.PurgeInstancesAsync)), Counts: Calls(nameof(IJobQueryStore.CountAsync)));

        // 20 s of heartbeats, and one more so that the last one's record is done.
        for (var beat = 0; beat < 11; beat++)
        {
            await BeatAsync(host);
        }

        (Calls(nameof(IJobInstanceStore.RecordHeartbeatAsync)) - before.Records).Should().Be(3, "an idle instance is recorded every half lease (at 6, 12 and 18 s), not at each of its 11 heartbeats");
        (Calls(nameof(IJobInstanceStore.PurgeInstancesAsync)) - before.Purges).Should().Be(2, "the silent instances are looked for once per lease (at 10 and 20 s)");
        (Calls(nameof(IJobQueryStore.CountAsync)) - before.Counts).Should().Be(0, "nobody watches the queue: no health check, no listener on the gauge");

        // A listener on the queue-depth gauge: the heartbeats count the queue for it.
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        var meter = host.Services.GetRequiredService<JobTrackingMetrics>().Meter;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "jobtracking.queue.depth")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.Start();
        var counted = Calls(nameof(IJobQueryStore.CountAsync));
        await BeatAsync(host);
        await BeatAsync(host);
        Calls(nameof(IJobQueryStore.CountAsync)).Should().BeGreaterThan(counted, "the gauge is observed");

        int Calls(string call) => store.Calls.GetValueOrDefault(call);
    }

    [Fact]
    public async Task StoreWithoutInstances_GetInstances_SaysSo()
    {
        await using var host = await TestHost.Create(store: new FaultInjectingJobStore(TestHost.CreateMemoryStore())).StartAsync();

        var act = async () => await host.Tracker.GetInstancesAsync();

        (await act.Should().ThrowAsync<JobTrackingException>()).WithMessage("*FaultInjectingJobStore*keeps no list of instances*IJobInstanceStore*");
    }

    // One heartbeat of the hosts (which share the clock): the clock moves on by the interval, and each one's leases are
    // renewed. A heartbeat's instance record follows its leases' part, so it is done once the next heartbeat's leases are.
    private static async Task BeatAsync(TestHost host, TestHost? other = null)
    {
        host.Time.Advance(Heartbeat);
        var now = host.Time.GetUtcNow();
        foreach (var beating in other is null ? [host] : new[] { host, other })
        {
            var leases = beating.Services.GetRequiredService<LeaseKeeper>();
            await Wait.UntilAsync(() => leases.Heartbeat.LastSuccess == now, "the next heartbeat");
        }
    }

    private static FakeTimeProvider NewTime() => new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    private static Action<JobTrackingOptions> Options(Action<JobTrackingOptions>? more = null) => o =>
    {
        o.LeaseDuration = TimeSpan.FromSeconds(10);
        o.HeartbeatInterval = Heartbeat;
        o.PollInterval = TimeSpan.FromHours(1);
        more?.Invoke(o);
    };
}
