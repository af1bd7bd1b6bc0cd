using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using System.Collections.Concurrent;

namespace JobTracking.Tests;

public sealed class SchedulerTests
{
    [Fact]
    public async Task ManyJobs_GlobalLimit_NeverExceeded()
    {
        await using var host = await TestHost.Create(o => o.MaxConcurrency = 3).StartAsync();

        var ids = new List<Guid>();
        for (var i = 0; i < 60; i++)
        {
            ids.Add(await host.StartStepJobAsync(new StepParameters { Steps = 20, YieldEachStep = true }));
        }

        foreach (var id in ids)
        {
            await host.WaitAsync(id, JobStatus.Completed);
        }

        host.Probe.MaxRunning.Should().BeInRange(1, 3);
    }

    [Fact]
    public async Task Worker_RunsTheNextJob_WhileTheFinishedJobsFinalWriteIsStored()
    {
        // The worker does not wait for a commit between two jobs: the finished job's final status is stored meanwhile.
        var memory = TestHost.CreateMemoryStore();
        var store = new InterceptingStore(memory) { Shared = false };
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.Create(o => o.MaxConcurrency = 1, store: store).StartAsync();
        var first = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await Wait.UntilAsync(() => host.Probe.For(first).Runs > 0, "the first job to start");
        var second = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        store.Delay = (call, argument) => argument is JobTransition { ToStatus: JobStatus.Completed } t && t.JobId == first ? held.Task : null;

        host.Probe.For(first).Release();
        await host.Probe.For(second).WaitForStepAsync(0);
        (await memory.GetAsync(first))!.Status.Should().Be(JobStatus.Running, "its final write is not stored yet");

        held.SetResult();
        await host.WaitAsync(first, JobStatus.Completed);
        await host.WaitAsync(second, JobStatus.Completed);
        host.Probe.MaxRunning.Should().Be(1, "one worker: the second job's code ran after the first one's had returned");
    }

    [Fact]
    public async Task Worker_APreviousJobsFinalWriteLandingLate_NeverReleasesTheWorkersCurrentJob()
    {
        // One worker: job 1's final write is held while job 2 runs; it lands while job 2's code still runs. The worker
        // must not take job 3 before job 2's code returns.
        var memory = TestHost.CreateMemoryStore();
        var store = new InterceptingStore(memory) { Shared = false };
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.Create(o => o.MaxConcurrency = 1, store: store).StartAsync();
        var first = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await Wait.UntilAsync(() => host.Probe.For(first).Runs > 0, "the first job to start");
        var second = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        var third = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        store.Delay = (call, argument) => argument is JobTransition { ToStatus: JobStatus.Completed } t && t.JobId == first ? held.Task : null;

        host.Probe.For(first).Release();
        await host.Probe.For(second).WaitForStepAsync(0);
        held.SetResult();
        await host.WaitAsync(first, JobStatus.Completed);
        await Task.Delay(200); // room for a wrongly released worker to take the third job
        host.Probe.For(third).Runs.Should().Be(0, "the worker is still running the second job's code");

        host.Probe.For(second).Release();
        await host.WaitAsync(second, JobStatus.Completed);
        await host.WaitAsync(third, JobStatus.Completed);
        host.Probe.MaxRunning.Should().Be(1);
    }

    [Fact]
    public async Task ShortJobs_ClaimsTakingTime_AreClaimedAheadOfTheFreeWorkers_CodeNeverRunsPastMaxConcurrency()
    {
        // Each claim takes 10 ms of the host's clock, and the worker finishes every job it was given while a claim is on its
        // way (jobs take none of the clock): without claims ahead, the worker would wait for every claim.
        var (time, store) = ClaimsTakingTenMilliseconds();
        var probe = new Probe();
        store.Delay = (call, _) => call == nameof(IJobStore.ClaimAsync) ? ClaimAfterTheWorkerIsDoneAsync() : null;
        async Task ClaimAfterTheWorkerIsDoneAsync()
        {
            await Wait.UntilAsync(() => probe.Left >= store.DelayedClaims, "the worker to run every job claimed so far");
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        await using var host = await TestHost.Create(o => o.MaxConcurrency = 1, store: store, time: time, probe: probe).StartAsync();

        // A backlog, queued at once: one caller starting jobs one by one is slower than the worker, and leaves nothing to claim ahead.
        var ids = await host.Runner.Job<StepJob>().StartManyAsync(Enumerable.Range(0, 300).Select(_ => new StepParameters { Steps = 1 }).ToList());

        foreach (var id in ids)
        {
            await host.WaitAsync(id, JobStatus.Completed);
        }

        var asked = store.Writes.Where(w => w.Call == nameof(IJobStore.ClaimAsync)).Select(w => ((JobClaimRequest)w.Argument).MaxCount).ToList();
        asked.Max().Should().BeGreaterThan(4, "as many jobs as the worker finishes during a claim are claimed ahead: {0}", string.Join(", ", asked));
        host.Probe.MaxRunning.Should().Be(1);
    }

    [Fact]
    public async Task LongJobs_AreNotClaimedAhead()
    {
        var (time, store) = ClaimsTakingTenMilliseconds();
        await using var host = await TestHost.Create(o => o.MaxConcurrency = 1, store: store, time: time).StartAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true }));
        }

        // Each job runs a second of the host's clock.
        foreach (var id in ids)
        {
            await host.Probe.For(id).WaitForStepAsync(0);
            (await host.Tracker.CountAsync()).Single(c => c.Status == JobStatus.Running).Count.Should().Be(1, "nothing is claimed ahead of jobs of a second");
            time.Advance(TimeSpan.FromSeconds(1));
            host.Probe.For(id).Release();
            await host.WaitAsync(id, JobStatus.Completed);
        }

        store.Writes.Where(w => w.Call == nameof(IJobStore.ClaimAsync)).Select(w => ((JobClaimRequest)w.Argument).MaxCount).Should().OnlyContain(n => n == 1);
    }

    [Fact]
    public async Task Worker_HostStopsAsAJobFinishes_TheNextJobIsNotLeftRunning()
    {
        var store = TestHost.CreateMemoryStore();
        await using var host = await TestHost.Create(o => o.MaxConcurrency = 1, store: store).StartAsync();
        var first = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await Wait.UntilAsync(() => host.Probe.For(first).Runs > 0, "the first job to start");
        var second = await host.StartStepJobAsync(new StepParameters { Steps = 1 });

        var stopping = host.StopAsync();
        host.Probe.For(first).Release();
        await stopping;

        (await store.GetAsync(first))!.Status.Should().BeOneOf(JobStatus.Completed, JobStatus.Interrupted);
        (await store.GetAsync(second))!.Status.Should().BeOneOf([JobStatus.Queued, JobStatus.Interrupted], "a job claimed as the host stops is never left Running");
        host.Probe.For(second).Runs.Should().Be(0);
    }

    [Fact]
    public async Task Worker_HostStopping_AnotherServiceStillStopping_NoJobStarts()
    {
        // A service registered after JobTracking stops before it (a web server draining its requests): the host's stop
        // has begun, JobTracking's own StopAsync not yet.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = TestHost.CreateMemoryStore();
        await using var host = await TestHost.Create(o => o.MaxConcurrency = 1, store: store, after: s => s.AddSingleton<IHostedService>(new StopsWhenReleased(gate.Task))).StartAsync();
        var first = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await Wait.UntilAsync(() => host.Probe.For(first).Runs > 0, "the first job to start");
        var second = await host.StartStepJobAsync(new StepParameters { Steps = 1 });

        var stopping = host.StopAsync();
        host.Probe.For(first).Release();
        await host.WaitAsync(first, JobStatus.Completed);

        // Without the stop at ApplicationStopping, the freed worker takes the second job within milliseconds.
        using (var window = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            var act = () => host.Runner.WaitForStatusAsync(second, (IReadOnlyCollection<JobStatus>)[JobStatus.Running, JobStatus.Completed], window.Token);
            await act.Should().ThrowAsync<OperationCanceledException>("no job starts once the host's stop has begun");
        }

        gate.SetResult();
        await stopping;
        (await store.GetAsync(second))!.Status.Should().BeOneOf(JobStatus.Queued, JobStatus.Interrupted);
        host.Probe.For(second).Runs.Should().Be(0);
    }

    private sealed class StopsWhenReleased(Task released) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => released;
    }

    [Fact]
    public async Task JobTypeLimit_OneTypeCapped_OtherTypesStillRun()
    {
        await using var host = await TestHost.Create(o =>
        {
            o.MaxConcurrency = 4;
            o.JobTypeConcurrency[nameof(StepJob)] = 1;
        }).StartAsync();

        var steps = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            steps.Add(await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true }));
        }

        await Wait.UntilAsync(() => steps.Any(id => host.Probe.For(id).Runs > 0), "a StepJob to start");
        // Queued after the StepJobs, it runs to the end: the scheduler has looked past the two that wait, with slots to spare.
        var other = await host.Runner.StartAsync(nameof(OtherJob), new StepParameters { Steps = 1 });
        await host.WaitAsync(other, JobStatus.Completed);

        var statuses = new List<JobStatus>();
        foreach (var id in steps)
        {
            statuses.Add((await host.Tracker.GetAsync(id)).Status);
        }

        statuses.Count(s => s == JobStatus.Running).Should().Be(1);
        statuses.Count(s => s == JobStatus.Queued).Should().Be(2, "StepJob is limited to one at a time");

        foreach (var id in steps)
        {
            host.Probe.For(id).Release();
        }

        foreach (var id in steps)
        {
            await host.WaitAsync(id, JobStatus.Completed);
        }

        host.Probe.MaxRunning.Should().Be(1, "only StepJob counts in the probe");
    }

    [Fact]
    public async Task ConcurrencyKey_SameKey_RunsOneAtATimeInQueueOrder()
    {
        await using var host = await TestHost.Create(o => o.MaxConcurrency = 4).StartAsync();
        var started = new ConcurrentQueue<Guid>();
        using var subscription = host.Events.OnJobStarted(e => started.Enqueue(e.JobId));

        var keyed = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            keyed.Add(await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true }, new JobStartOptions { ConcurrencyKey = "profile-7" }));
        }

        for (var i = 0; i < 3; i++)
        {
            await host.Probe.For(keyed[i]).WaitForStepAsync(0);

            // Queued after the waiting ones, with another key and slots to spare, it runs to the end: the scheduler
            // has looked past the waiting ones, so if they are still queued, it left them there.
            var later = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { ConcurrencyKey = "profile-8" });
            await host.WaitAsync(later, JobStatus.Completed);
            for (var j = i + 1; j < 3; j++)
            {
                (await host.Tracker.GetAsync(keyed[j])).Status.Should().Be(JobStatus.Queued, "job {0} holds key profile-7", i);
            }

            host.Probe.For(keyed[i]).Release();
            await host.WaitAsync(keyed[i], JobStatus.Completed);
        }

        await Wait.UntilAsync(() => started.Count(keyed.Contains) == 3, "the start events of the three keyed jobs");
        started.Where(keyed.Contains).Should().Equal(keyed);
    }

    [Fact]
    public async Task Priority_HigherPriority_StartsFirst()
    {
        await using var host = await TestHost.Create(o => o.MaxConcurrency = 1).StartAsync();
        var blocker = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await host.Probe.For(blocker).WaitForStepAsync(0);

        var low = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { Priority = -5 });
        var normal = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        var high = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { Priority = 10 });
        var normal2 = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        var order = new ConcurrentQueue<Guid>();
        using var subscription = host.Events.OnJobStarted(e => order.Enqueue(e.JobId));

        host.Probe.For(blocker).Release();
        await host.WaitAsync(low, JobStatus.Completed);

        await Wait.UntilAsync(() => order.Count == 4, "the start events of the four queued jobs"); // events reach subscribers asynchronously
        order.Should().Equal(high, normal, normal2, low);
    }

    // A store whose every claim takes 10 ms of the host's (fake) clock.
    private static (FakeTimeProvider Time, InterceptingStore Store) ClaimsTakingTenMilliseconds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        var store = new InterceptingStore(TestHost.CreateMemoryStore(time: time)) { Shared = false };
        store.Delay = (call, _) =>
        {
            if (call == nameof(IJobStore.ClaimAsync))
            {
                time.Advance(TimeSpan.FromMilliseconds(10));
            }

            return null;
        };
        return (time, store);
    }
}
