using System.Collections.Concurrent;

namespace JobTracking.Tests;

public sealed class RaceTests
{
    [Fact]
    public async Task ThousandRandomCommands_OnSelfCompletingJobs_EveryJobRestsAlongALegalPath()
    {
        await using var host = TestHost.Create(o => o.MaxConcurrency = 8);
        var history = new ConcurrentDictionary<Guid, ConcurrentQueue<JobEvent>>();
        using var subscription = host.Events.Subscribe(
            e => history.GetOrAdd(e.JobId, _ => new ConcurrentQueue<JobEvent>()).Enqueue(e),
            new JobSubscriptionOptions { IncludeProgress = false, BufferCapacity = 100_000, Overflow = JobEventOverflow.Wait });
        await host.StartAsync();

        var jobs = new List<Guid>();
        var steps = new Dictionary<Guid, int>();
        for (var i = 0; i < 100; i++)
        {
            var count = 1 + (i % 20);
            var id = await host.StartStepJobAsync(new StepParameters { Steps = count, Blocking = true });
            jobs.Add(id);
            steps[id] = count;
        }

        foreach (var id in jobs.Take(8))
        {
            await host.Probe.For(id).WaitForStepAsync(0); // the storm hits jobs that are really running
        }

        // Steps are let through one at a time, round robin, while the commands fly: jobs complete by themselves meanwhile.
        // One step is let through per command issued, so the storm overlaps running jobs however the threads are scheduled.
        using var stormOver = new CancellationTokenSource();
        var issued = 0;
        var releaser = Task.Run(async () =>
        {
            for (var round = 0; !stormOver.IsCancellationRequested;)
            {
                if (round < Volatile.Read(ref issued))
                {
                    host.Probe.For(jobs[round % jobs.Count]).Release();
                    round++;
                }
                else
                {
                    await Task.Yield();
                }
            }
        });

        var commands = Enumerable.Range(0, 1000).Select(i => Task.Run(async () =>
        {
            var random = new Random(i);
            var id = jobs[random.Next(jobs.Count)];
            for (var spread = random.Next(50); spread > 0; spread--)
            {
                await Task.Yield();
            }

            try
            {
                var dice = random.Next(100);
                if (dice < 45)
                {
                    await host.Runner.PauseAsync(id);
                }
                else if (dice < 90)
                {
                    await host.Runner.ResumeAsync(id);
                }
                else
                {
                    await host.Runner.CancelAsync(id);
                }
            }
            catch (InvalidJobTransitionException)
            {
                // The job's status did not allow this command at that moment.
            }
            finally
            {
                Interlocked.Increment(ref issued);
            }
        }));
        await Task.WhenAll(commands).WaitAsync(TimeSpan.FromSeconds(60));
        await stormOver.CancelAsync();
        await releaser;
        foreach (var id in jobs)
        {
            host.Probe.For(id).Release(steps[id]); // enough for every job that is not paused to finish
        }

        var resting = new[] { JobStatus.Completed, JobStatus.Cancelled, JobStatus.Paused };
        foreach (var id in jobs)
        {
            await host.WaitAsync(id, resting);
        }

        await host.StopAsync();
        var seen = history.Values.SelectMany(events => events).Select(e => e.Status).ToHashSet();
        seen.Should().Contain([JobStatus.Pausing, JobStatus.Paused, JobStatus.Cancelling, JobStatus.Cancelled, JobStatus.Completed], "the storm exercised every command");
        foreach (var id in jobs)
        {
            var final = await host.Tracker.GetAsync(id);
            final.Status.Should().BeOneOf(resting);
            var path = await WaitForEventsAsync(history, id, final.Version);
            path[0].Kind.Should().Be(JobEventKind.Created);
            path[0].Status.Should().Be(JobStatus.Queued);
            path[0].Version.Should().Be(1);
            for (var i = 1; i < path.Count; i++)
            {
                path[i].PreviousStatus.Should().Be(path[i - 1].Status, "events of job {0} arrive in transition order", id);
                path[i].Version.Should().Be(path[i - 1].Version + 1);
                JobLifecycle.CanTransition(path[i].PreviousStatus, path[i].Status).Should().BeTrue($"{path[i].PreviousStatus} -> {path[i].Status}");
            }

            path[^1].Status.Should().Be(final.Status);
            if (final.Status == JobStatus.Completed)
            {
                host.Probe.For(id).Executed.Should().Equal(Enumerable.Range(0, steps[id]), "no step runs twice across pauses");
            }
        }
    }

    private static async Task<List<JobEvent>> WaitForEventsAsync(ConcurrentDictionary<Guid, ConcurrentQueue<JobEvent>> history, Guid id, long version)
    {
        await Wait.UntilAsync(
            () => history.TryGetValue(id, out var events) && events.LastOrDefault()?.Version == version,
            $"the events of job {id} up to version {version}");
        return [.. history[id]];
    }
}
