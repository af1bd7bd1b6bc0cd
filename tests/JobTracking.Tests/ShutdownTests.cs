using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Tests;

public sealed class ShutdownTests
{
    [Fact]
    public async Task StopAsync_JobReachesSafePoint_IsInterruptedWithCheckpointAndResumedByNextHost()
    {
        var store = TestHost.CreateMemoryStore();
        var probe = new Probe();
        Guid id;
        await using (var first = await TestHost.Create(store: store, probe: probe).StartAsync())
        {
            id = await first.StartStepJobAsync(new StepParameters { Steps = 3, Blocking = true, HonourToken = false });
            await probe.For(id).WaitForStepAsync(0);

            var stopping = first.StopAsync();
            await first.WaitAsync(id, JobStatus.ShuttingDown);
            probe.For(id).Release();
            await stopping;

            var interrupted = await first.Tracker.GetAsync(id);
            interrupted.Status.Should().Be(JobStatus.Interrupted);
            interrupted.Checkpoint.Should().Be("1");
        }

        await using var second = await TestHost.Create(store: store, probe: probe).StartAsync();
        await probe.For(id).WaitForStepAsync(1);
        probe.For(id).Release(2);
        var done = await second.WaitAsync(id, JobStatus.Completed);

        probe.For(id).Executed.Should().Equal(0, 1, 2);
        done.Attempt.Should().Be(1, "resuming after a shutdown continues the same attempt");
    }

    [Fact]
    public async Task StopAsync_GracePeriodRunsOut_StoresInterruptedWithLastCheckpointAndFiresToken()
    {
        var probe = new Probe();
        await using var host = await TestHost.Create(o => o.ShutdownGracePeriod = TimeSpan.FromSeconds(5), probe: probe).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 3, Blocking = true });
        probe.For(id).Release();
        await probe.For(id).WaitForStepAsync(1); // step 0 done, checkpoint 1 set; now blocked in step 1

        var stopping = host.StopAsync();
        await host.WaitAsync(id, JobStatus.ShuttingDown);
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await stopping;

        var job = await host.Tracker.GetAsync(id);
        job.Status.Should().Be(JobStatus.Interrupted);
        job.Checkpoint.Should().Be("1");
        probe.For(id).Executed.Should().Equal(0);
    }

    [Fact]
    public async Task StartAsync_WithResumeDisabled_LeavesInterruptedJobsAlone()
    {
        var store = TestHost.CreateMemoryStore();
        var job = await StoreHelper.CreateInStatusAsync(store, JobStatus.Interrupted);

        await using var host = await TestHost.Create(o => o.ResumeInterruptedJobs = false, store: store).StartAsync();

        (await host.Tracker.GetAsync(job.Id)).Status.Should().Be(JobStatus.Interrupted);
    }

    [Fact]
    public async Task StartAsync_UnsharedStore_RecoversJobsLeftActiveUnderAnyNodeName()
    {
        var store = TestHost.CreateMemoryStore();
        var renamed = await ClaimAsync(store, "old-machine-name");

        await using var host = await TestHost.Create(store: store).StartAsync();

        (await host.WaitAsync(renamed.Id, JobStatus.Completed)).Attempt.Should().Be(1);
    }

    [Fact]
    public async Task StartAsync_SharedStore_ReclaimsExpiredLeasesAndLeavesLiveOnes()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        var expired = await ClaimAsync(store, "gone-instance");
        var cancelling = await ClaimAsync(store, "gone-instance");
        (await store.TryTransitionAsync(new JobTransition
        {
            JobId = cancelling.Id, FromStatus = JobStatus.Running, ExpectedVersion = cancelling.Version, ToStatus = JobStatus.Cancelling, At = DateTimeOffset.UnixEpoch,
        })).Should().BeTrue();
        time.Advance(TimeSpan.FromMinutes(1));
        var live = await ClaimAsync(store, "live-instance");

        await using var host = await TestHost.Create(store: store, time: time).StartAsync();

        (await host.WaitAsync(expired.Id, JobStatus.Completed)).Attempt.Should().Be(1);
        (await host.Tracker.GetAsync(cancelling.Id)).Status.Should().Be(JobStatus.Cancelled);
        (await host.Tracker.GetAsync(live.Id)).Status.Should().Be(JobStatus.Running, "another live instance holds its lease");
    }

    private static async Task<JobRecord> ClaimAsync(IJobStore store, string instance)
    {
        var job = await StoreHelper.CreateInStatusAsync(store, JobStatus.Queued);
        var claimed = await store.ClaimAsync(new JobClaimRequest { InstanceId = instance, Node = "node", MaxCount = 1, At = DateTimeOffset.UnixEpoch, LeaseDuration = TimeSpan.FromSeconds(15) });
        claimed.Should().ContainSingle().Which.Id.Should().Be(job.Id);
        return claimed[0];
    }
}
