using JobTracking.Storage;
using Xunit;

namespace JobTracking.Testing;

/// <summary>The attempt history: what a store keeps of each attempt (see <see cref="JobTransition"/>).</summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>A restart keeps the failed attempt with its times and error; the new attempt shows once it starts, and ends as the job does.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Attempts_RestartAfterFailure_KeepsTheFailedAttemptWithItsError()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);
        await ClaimOneAsync(store, job.Id, "n", T0.AddMinutes(1));
        var error = new JobError { Type = "System.IO.IOException", Message = "disk full ✗", StackTrace = "at Import()\n  at Run()" };
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, 2, JobStatus.Failed, T0.AddMinutes(2)) with { Error = error }));

        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Failed, 3, JobStatus.Queued, T0.AddMinutes(3)) with { IsNewAttempt = true }));
        var restarted = (await store.GetAsync(job.Id))!;

        var first = new JobAttempt { Number = 1, StartedAt = T0.AddMinutes(1), EndedAt = T0.AddMinutes(2), Status = JobStatus.Failed, Error = error };
        Assert.Equal([first], restarted.PreviousAttempts);
        Assert.Equal([first], restarted.Attempts); // the second attempt has not started yet
        Assert.Null(restarted.Error);

        var running = await ClaimOneAsync(store, job.Id, "n", T0.AddMinutes(4));
        Assert.Equal([first, new JobAttempt { Number = 2, StartedAt = T0.AddMinutes(4), Status = JobStatus.Running }], running.Attempts);
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Completed, T0.AddMinutes(5))));

        var done = (await store.GetAsync(job.Id))!;
        Assert.Equal(2, done.Attempt);
        Assert.Equal([first], done.PreviousAttempts);
        Assert.Equal([first, new JobAttempt { Number = 2, StartedAt = T0.AddMinutes(4), EndedAt = T0.AddMinutes(5), Status = JobStatus.Completed }], done.Attempts);
    }

    /// <summary>A job that completes without a restart shows its one attempt; a pause and a resume on the way are not new attempts.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Attempts_CompletedJob_ShowsItsOneAttempt()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);
        Assert.Empty((await store.GetAsync(job.Id))!.Attempts); // not started yet

        var running = await ClaimOneAsync(store, job.Id, "n", T0.AddMinutes(1));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Pausing, T0.AddMinutes(2))));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Pausing, running.Version + 1, JobStatus.Paused, T0.AddMinutes(3))));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Paused, running.Version + 2, JobStatus.Queued, T0.AddMinutes(4))));
        var resumed = await ClaimOneAsync(store, job.Id, "n", T0.AddMinutes(5));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, resumed.Version, JobStatus.Completed, T0.AddMinutes(6))));

        var done = (await store.GetAsync(job.Id))!;
        Assert.Empty(done.PreviousAttempts);
        Assert.Equal([new JobAttempt { Number = 1, StartedAt = T0.AddMinutes(1), EndedAt = T0.AddMinutes(6), Status = JobStatus.Completed }], done.Attempts);
    }

    /// <summary>Restarting an interrupted job keeps the interrupted attempt, ended when the restart replaced it.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Attempts_RestartAfterInterruption_KeepsTheInterruptedAttempt()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);
        var running = await ClaimOneAsync(store, job.Id, "n", T0.AddMinutes(1));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Interrupted, T0.AddMinutes(2))));

        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Interrupted, running.Version + 1, JobStatus.Queued, T0.AddMinutes(7)) with { IsNewAttempt = true }));

        var restarted = (await store.GetAsync(job.Id))!;
        Assert.Equal(2, restarted.Attempt);
        Assert.Equal([new JobAttempt { Number = 1, StartedAt = T0.AddMinutes(1), EndedAt = T0.AddMinutes(7), Status = JobStatus.Interrupted }], restarted.PreviousAttempts);
    }

    /// <summary>Attempts round-trip exactly, through every read (get, list, claim, reclaim), whatever their error text holds.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Attempts_ManyRestarts_RoundTripExactlyThroughEveryRead()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);
        var expected = new List<JobAttempt>();
        var version = 1L;
        for (var number = 1; number <= 3; number++)
        {
            var started = T0.AddMinutes(10 * number).AddTicks(10 * number); // microseconds, not round minutes
            var running = await ClaimOneAsync(store, job.Id, "n", started);
            Assert.Equal(expected, running.PreviousAttempts);
            var ended = started.AddSeconds(3).AddTicks(70);
            var error = new JobError { Type = "Custom.Error`1[[System.String]]", Message = $"attempt {number}: \0 NUL, \"quotes\", 'single', ünïcödé 製品 ✗\r\n\t{new string('x', 5000)}", StackTrace = number == 2 ? null : "  at A()\n  at B() \u2028 \0" };
            Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Failed, ended) with { Error = error }));
            expected.Add(new JobAttempt { Number = number, StartedAt = started, EndedAt = ended, Status = JobStatus.Failed, Error = error });
            Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Failed, running.Version + 1, JobStatus.Queued, ended.AddMinutes(1)) with { IsNewAttempt = true }));
            version = running.Version + 2;
        }

        Assert.Equal(expected, (await store.GetAsync(job.Id))!.PreviousAttempts);
        Assert.Equal(expected, (await Q(store).QueryAsync(new JobQuery())).Items.Single(j => j.Id == job.Id).PreviousAttempts);

        var last = await ClaimOneAsync(store, job.Id, "n", T0.AddHours(2));
        Assert.Equal(version + 1, last.Version);
        Assert.Equal(expected, last.PreviousAttempts);
        lease.Clock.Advance(TimeSpan.FromHours(3));
        var reclaimed = await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-other", At = T0.AddHours(3), MaxCount = 10 });
        Assert.Equal(expected, Assert.Single(reclaimed).Job.PreviousAttempts);
        Assert.Equal(4, reclaimed[0].Job.Attempt);
        Assert.Equal(JobStatus.Interrupted, reclaimed[0].Job.Attempts[^1].Status);
    }

    /// <summary>A new job cannot bring attempts with it: they come only from restarts.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Create_WithPreviousAttempts_IsRefused()
    {
        await using var lease = await LeaseAsync();
        var job = NewJob() with { PreviousAttempts = [new JobAttempt { Number = 1, StartedAt = T0, EndedAt = T0, Status = JobStatus.Failed }] };

        var error = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await lease.Store.CreateAsync(job));

        Assert.Contains("previous attempts", error.Message, StringComparison.Ordinal);
        Assert.Null(await lease.Store.GetAsync(job.Id));
    }
}
