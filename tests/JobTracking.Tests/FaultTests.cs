using JobTracking.Testing;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Tests;

/// <summary>What a host does when its store fails: transient errors retried, a refused journal entry set aside, a lost lease, a store down at shutdown.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task TransientFailures_TenPercentOfCalls_TenThousandJobsEachEndCompletedExactlyOnce()
    {
        const int jobs = 10_000;
        var time = NewTime();
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time), seed: 7) { TransientFailureRate = 0.1 };
        using var pump = Pump(time); // from the start: the host's first store calls may fail too, and their retries wait on this clock
        await using var host = await TestHost.Create(o => o.TransientRetryCount = 100, store: store, time: time).StartAsync();
        var finished = new System.Collections.Concurrent.ConcurrentDictionary<Guid, int>();
        using var subscription = host.Events.Subscribe(e =>
        {
            if (e.IsFinished)
            {
                finished.AddOrUpdate(e.JobId, 1, (_, n) => n + 1);
            }
        }, new JobSubscriptionOptions { Overflow = JobEventOverflow.Wait, BufferCapacity = jobs * 4 });

        var ids = new List<Guid>();
        for (var i = 0; i < jobs; i++)
        {
            ids.Add(await host.StartStepJobAsync(new StepParameters { Steps = 2 }));
        }

        foreach (var id in ids)
        {
            (await host.WaitAsync(id, JobStatus.Completed, JobStatus.Failed)).Status.Should().Be(JobStatus.Completed);
        }

        store.InjectedFaults.Should().BeGreaterThan(jobs / 10, "the store failed about one call in ten");
        await Wait.UntilAsync(() => finished.Count == jobs, "finished.Count == jobs");
        finished.Values.Should().OnlyContain(n => n == 1, "each job finished exactly once");
        host.Probe.For(ids[0]).Executed.Should().Equal(0, 1);
    }

    [Fact]
    public async Task FinalTransition_StoreDownWhenTheJobEnds_IsRetriedUntilStoredAndTheKeyIsFreed()
    {
        var time = NewTime();
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time));
        await using var host = await TestHost.Create(store: store, time: time).StartAsync();
        var first = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true }, new JobStartOptions { ConcurrencyKey = "profile-1" });
        var second = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { ConcurrencyKey = "profile-1" });
        await host.Probe.For(first).WaitForStepAsync(0);

        store.IsDown = true;
        host.Probe.For(first).Release();
        using var pump = Pump(time);
        await Wait.UntilAsync(() => store.InjectedFaults >= 3, "store.InjectedFaults >= 3");
        store.IsDown = false;

        await host.WaitAsync(first, JobStatus.Completed);
        await host.WaitAsync(second, JobStatus.Completed);
    }

    [Fact]
    public async Task StoreBack_AfterALongOutage_WaitingRetriesGoWithinTheFirstRetryDelay_NotAtTheEndOfTheirBackoff()
    {
        var time = NewTime();
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time));
        await using var host = await TestHost.Create(
            o =>
            {
                o.TransientRetryDelay = TimeSpan.FromMilliseconds(100);
                o.TransientRetryMaxDelay = TimeSpan.FromMinutes(10);
                o.LeaseDuration = TimeSpan.FromMinutes(5); // the run keeps its lease through the outage
            },
            store: store,
            time: time).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await host.Probe.For(id).WaitForStepAsync(0);

        store.IsDown = true;
        host.Probe.For(id).Release();
        var downSince = time.GetUtcNow();
        using (Pump(time)) // 40 s on the fake clock: the final status's retries back off to pauses of 10 s or more
        {
            await Wait.UntilAsync(() => time.GetUtcNow() - downSince >= TimeSpan.FromSeconds(40), "40 s of outage on the fake clock");
        }

        store.IsDown = false;
        await host.StartStepJobAsync(new StepParameters { Steps = 1 }); // a call that succeeds: the store is back
        var backSince = time.GetUtcNow();
        await Wait.UntilAsync(
            async () =>
            {
                if ((await store.GetAsync(id))!.Status == JobStatus.Completed || time.GetUtcNow() - backSince >= TimeSpan.FromMilliseconds(300))
                {
                    return true;
                }

                time.Advance(TimeSpan.FromMilliseconds(10));
                return false;
            },
            "the job to complete, or 300 ms on the fake clock");

        (await store.GetAsync(id))!.Status.Should().Be(JobStatus.Completed, "the retry went within the first retry delay of the store coming back, after {0} on the fake clock", time.GetUtcNow() - backSince);
    }

    [Fact]
    public async Task RefusedJournalEntry_IsSetAsideAsAMarker_OtherJobsFinishAndTheHostStops()
    {
        var time = NewTime();
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time)) { RefusesJournalEntry = e => e.Text.Contains('\0', StringComparison.Ordinal) };
        var host = await TestHost.Create(store: store, time: time, configure: b => b.AddJob<JournalJob>()).StartAsync();
        var poisoned = await host.Runner.StartAsync(nameof(JournalJob), new JournalParameters { Lines = 20, LongText = "bad\0text" });
        var healthy = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            healthy.Add(await host.Runner.StartAsync(nameof(JournalJob), new JournalParameters { Lines = 50 }));
        }

        await host.WaitAsync(poisoned, JobStatus.Completed);
        foreach (var id in healthy)
        {
            await host.WaitAsync(id, JobStatus.Completed);
            (await host.Tracker.GetLogAsync(id, new JournalQuery { PageSize = 100 })).Items.Should().HaveCount(50);
        }

        var log = (await host.Tracker.GetLogAsync(poisoned, new JournalQuery { PageSize = 100 })).Items;
        log.Should().HaveCount(22, "20 lines and one marker in place of each refused entry");
        log.Should().ContainSingle(l => l.Message.StartsWith("[A log line of 8 characters could not be stored: InjectedStoreFaultException", StringComparison.Ordinal));
        log.Should().ContainSingle(l => l.Message.StartsWith("[A reject of 8 characters could not be stored", StringComparison.Ordinal));
        (await host.Tracker.GetRejectsAsync(poisoned)).Items.Should().BeEmpty();
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await host.DisposeAsync();
    }

    [Fact]
    public async Task LostLease_RunStopsAndItsLateWritesAreRefused()
    {
        var time = NewTime();
        var memory = TestHost.CreateMemoryStore(time: time);
        var store = new FaultInjectingJobStore(memory) { Shared = true };
        await using var host = await TestHost.Create(o => o.ResumeInterruptedJobs = false, store: store, time: time).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 3, Blocking = true });
        var probe = host.Probe.For(id);
        await probe.WaitForStepAsync(0);

        // Another instance takes the job over (as after a network partition): its claim is gone.
        var taken = await memory.ReclaimAsync(new JobReclaimRequest { InstanceId = "other-instance", At = time.GetUtcNow(), IncludeLiveLeases = true });
        taken.Should().ContainSingle().Which.Job.Status.Should().Be(JobStatus.Interrupted);
        time.Advance(TimeSpan.FromSeconds(5)); // the next heartbeat finds the lease not renewed
        await Wait.UntilAsync(() => host.Probe.Running == 0, "host.Probe.Running == 0"); // the token fired and the job's code returned

        await host.StopAsync();
        probe.Executed.Should().BeEmpty();
        var job = await host.Tracker.GetAsync(id);
        job.Status.Should().Be(JobStatus.Interrupted, "the run that lost the job wrote nothing more");
        job.Version.Should().Be(taken[0].Job.Version);
    }

    [Fact]
    public async Task StoreDownAtShutdown_StopAsyncReturnsWithinTheHostsToken()
    {
        var time = NewTime();
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time));
        var host = await TestHost.Create(o => o.ShutdownGracePeriod = TimeSpan.FromSeconds(5), store: store, time: time).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 3, Blocking = true, HonourToken = false });
        await host.Probe.For(id).WaitForStepAsync(0);

        store.IsDown = true;
        using var shutdown = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var stopping = host.Host.StopAsync(shutdown.Token);
        using var pump = Pump(time);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));

        store.IsDown = false;
        (await store.GetAsync(id))!.Status.Should().Be(JobStatus.Running, "a job still running is abandoned, never stored as stopped while its code runs");
        host.Probe.For(id).Release(3);
        await host.DisposeAsync();
    }

    private static FakeTimeProvider NewTime() => new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    // Retries and heartbeats wait on the fake clock: move it on in small steps while a test waits for them.
    private static CancellationTokenSource Pump(FakeTimeProvider time)
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                time.Advance(TimeSpan.FromMilliseconds(100));
                await Task.Delay(1, CancellationToken.None);
            }
        });
        return stop;
    }
}
