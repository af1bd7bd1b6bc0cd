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
    public async Task StartAsync_SharedStore_RecoversOnlyThisNodesJobs()
    {
        var store = new CountingJobStore(TestHost.CreateMemoryStore(), shared: true);
        var running = await ClaimAsync(store, "test-node");
        var cancelling = await ClaimAsync(store, "test-node");
        (await store.TryTransitionAsync(new JobTransition
        {
            JobId = cancelling.Id, FromStatus = JobStatus.Running, ExpectedVersion = cancelling.Version, ToStatus = JobStatus.Cancelling, At = DateTimeOffset.UnixEpoch,
        })).Should().BeTrue();
        var otherNodes = await ClaimAsync(store, "other-node");

        await using var host = await TestHost.Create(store: store).StartAsync();

        (await host.WaitAsync(running.Id, JobStatus.Completed)).Attempt.Should().Be(1);
        (await host.Tracker.GetAsync(cancelling.Id)).Status.Should().Be(JobStatus.Cancelled);
        (await host.Tracker.GetAsync(otherNodes.Id)).Status.Should().Be(JobStatus.Running, "another live node may still be running it");
    }

    private static async Task<JobRecord> ClaimAsync(IJobStore store, string node)
    {
        var job = await StoreHelper.CreateInStatusAsync(store, JobStatus.Queued);
        var claimed = await store.ClaimAsync(new JobClaimRequest { Node = node, MaxCount = 1, At = DateTimeOffset.UnixEpoch });
        claimed.Should().ContainSingle().Which.Id.Should().Be(job.Id);
        return claimed[0];
    }
}
