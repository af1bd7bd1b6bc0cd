using JobTracking.Storage;
using Xunit;

namespace JobTracking.Testing;

/// <summary>Takeover: a reclaim leaves each job where its owner would have left it, and one that resumes keeps the job's place in the queue and its concurrency key.</summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>A job taken from its owner with <see cref="JobReclaimRequest.Resume"/> is queued again in the same call, as two changes (Interrupted, then Queued), with its checkpoint, and is claimed before the jobs queued after it.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Reclaim_WithResume_QueuesTheJobAgainInItsPlace_AheadOfJobsQueuedAfterIt()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var taken = NewJob();
        await store.CreateAsync(taken);
        var running = await ClaimOneAsync(store, taken.Id, "a", T0);
        Assert.True(await store.SaveProgressAsync(new JobProgressUpdate { JobId = taken.Id, ClaimId = running.ClaimId, Report = Report(4), HasCheckpoint = true, Checkpoint = "\"row 4\"" }));
        var later = NewJob() with { CreatedAt = T0.AddSeconds(1) };
        var latest = NewJob() with { CreatedAt = T0.AddSeconds(2) };
        await store.CreateAsync(later);
        await store.CreateAsync(latest);
        var before = await LatestAsync(store);
        lease.Clock.Advance(Lease + TimeSpan.FromSeconds(1));

        var reclaimed = await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-c", At = T0.AddMinutes(2), Resume = true });

        var one = Assert.Single(reclaimed);
        Assert.Equal(taken.Id, one.Job.Id);
        Assert.Equal((JobStatus.Running, "instance-a"), (one.PreviousStatus, one.PreviousInstanceId));
        var read = (await store.GetAsync(taken.Id))!;
        foreach (var job in new[] { one.Job, read })
        {
            Assert.Equal(JobStatus.Queued, job.Status);
            Assert.Equal(running.Version + 2, job.Version);
            Assert.Equal(1, job.Attempt);
            Assert.Null(job.ClaimId);
            Assert.Null(job.InstanceId);
            Assert.Null(job.LeaseExpiresAt);
            Assert.Null(job.EndedAt);
            Assert.Equal("\"row 4\"", job.Checkpoint);
            Assert.Equal(4, job.CheckpointReport?.Progress.Done);
        }

        var changes = (await ReadAllFeedAsync(store, before)).Where(c => c.JobId == taken.Id && c.Kind == JobEventKind.StatusChanged).ToList();
        Assert.Equal(
            [(JobStatus.Running, JobStatus.Interrupted, running.Version + 1), (JobStatus.Interrupted, JobStatus.Queued, running.Version + 2)],
            changes.Select(c => (c.PreviousStatus, c.Status, c.Version)));

        var order = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            order.AddRange((await store.ClaimAsync(Claim("b", 1, T0.AddMinutes(3)))).Select(j => j.Id));
        }

        Assert.Equal([taken.Id, later.Id, latest.Id], order);
    }

    /// <summary>A job taken from its owner with <see cref="JobReclaimRequest.Resume"/> keeps its concurrency key: the next claim takes it, not the job of the same key queued after it, which waits for it to end.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Reclaim_WithResume_TheConcurrencyKeyPassesToTheTakenJob_NotToTheNextOfItsKey()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var holder = NewJob() with { ConcurrencyKey = "k" };
        await store.CreateAsync(holder);
        await ClaimOneAsync(store, holder.Id, "a", T0);
        var next = NewJob() with { ConcurrencyKey = "k", CreatedAt = T0.AddSeconds(1) };
        await store.CreateAsync(next);
        Assert.Empty(await store.ClaimAsync(Claim("a", 10, T0)));
        lease.Clock.Advance(Lease + TimeSpan.FromSeconds(1));

        Assert.Single(await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-c", At = T0.AddMinutes(1), Resume = true }));
        var claimed = await store.ClaimAsync(Claim("b", 10, T0.AddMinutes(1)));

        Assert.Equal([holder.Id], claimed.Select(j => j.Id));
        Assert.Empty(await store.ClaimAsync(Claim("b", 10, T0.AddMinutes(1))));
        Assert.True(await store.TryTransitionAsync(Move(holder.Id, JobStatus.Running, claimed[0].Version, JobStatus.Completed) with { ClaimId = claimed[0].ClaimId }));
        Assert.Equal([next.Id], (await store.ClaimAsync(Claim("b", 10, T0.AddMinutes(2)))).Select(j => j.Id));
    }

    /// <summary>
    /// Claimers released together with a reclaim that resumes, many rounds (on a second store instance when the store can
    /// be shared): none ever claims the next job of the taken job's key, because the key passes to the taken job in the
    /// same atomic step as the reclaim; the taken job is claimed exactly once.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Reclaim_WithResume_RacingClaimers_NeverTakeTheNextJobOfTheKey()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var second = await CreateSecondInstanceAsync(store, lease.Clock);
        await using var secondLease = second is null ? null : new StoreLease(second, lease.Clock);
        var claimers = second ?? store;
        using var pool = new PoolGrowth(4);
        for (var round = 0; round < RaceRounds; round++)
        {
            var at = T0.AddMinutes(round);
            var holder = NewJob() with { ConcurrencyKey = $"race-{round}", CreatedAt = at };
            await store.CreateAsync(holder);
            await ClaimOneAsync(store, holder.Id, "a", at);
            var next = NewJob() with { ConcurrencyKey = $"race-{round}", CreatedAt = at.AddSeconds(1) };
            await store.CreateAsync(next);
            lease.Clock.Advance(Lease + TimeSpan.FromSeconds(1));
            var reclaimDone = 0;

            var batches = await RaceAsync(4, async i =>
            {
                if (i == 0)
                {
                    IReadOnlyList<JobReclaimed> reclaimed;
                    try
                    {
                        reclaimed = await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-r", At = at, Resume = true });
                    }
                    finally
                    {
                        Volatile.Write(ref reclaimDone, 1);
                    }

                    Assert.Equal([holder.Id], reclaimed.Select(r => r.Job.Id));
                    return [];
                }

                // Claim until a claim has started after the reclaim returned: that one must find the taken job queued.
                var mine = new List<JobRecord>();
                while (true)
                {
                    var after = Volatile.Read(ref reclaimDone) == 1;
                    mine.AddRange(await claimers.ClaimAsync(Claim($"c{i}", 10, at, $"instance-c{i}")));
                    if (after)
                    {
                        return mine;
                    }
                }
            });

            var claimed = batches.SelectMany(b => b).ToList();
            Assert.DoesNotContain(claimed, j => j.Id == next.Id);
            var taken = Assert.Single(claimed, j => j.Id == holder.Id);
            Assert.True(await store.TryTransitionAsync(Move(holder.Id, JobStatus.Running, taken.Version, JobStatus.Completed, at) with { ClaimId = taken.ClaimId }));
            Assert.True(await store.TryTransitionAsync(Move(next.Id, JobStatus.Queued, 1, JobStatus.Cancelled, at)));
        }
    }

    /// <summary>A job whose owner is gone while it is Pausing ends Paused, as its owner would have left it at its safe point: its checkpoint kept, its claim cleared, not queued again even with <see cref="JobReclaimRequest.Resume"/>.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Reclaim_Pausing_EndsPausedWithItsCheckpoint()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);
        var running = await ClaimOneAsync(store, job.Id, "a", T0);
        Assert.True(await store.SaveProgressAsync(new JobProgressUpdate { JobId = job.Id, ClaimId = running.ClaimId, Report = Report(3), HasCheckpoint = true, Checkpoint = "\"row 3\"" }));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Pausing)));
        var before = await LatestAsync(store);
        lease.Clock.Advance(Lease + TimeSpan.FromSeconds(1));

        var reclaimed = Assert.Single(await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-c", At = T0.AddMinutes(1), Resume = true }));

        Assert.Equal(JobStatus.Pausing, reclaimed.PreviousStatus);
        var read = (await store.GetAsync(job.Id))!;
        foreach (var paused in new[] { reclaimed.Job, read })
        {
            Assert.Equal(JobStatus.Paused, paused.Status);
            Assert.Equal(running.Version + 2, paused.Version);
            Assert.Equal("\"row 3\"", paused.Checkpoint);
            Assert.Equal(3, paused.CheckpointReport?.Progress.Done);
            Assert.Null(paused.ClaimId);
            Assert.Null(paused.EndedAt);
        }

        var change = Assert.Single((await ReadAllFeedAsync(store, before)).Where(c => c.Kind == JobEventKind.StatusChanged));
        Assert.Equal((JobStatus.Pausing, JobStatus.Paused, running.Version + 2), (change.PreviousStatus, change.Status, change.Version));
        Assert.Empty(await store.ClaimAsync(Claim("b", 10, T0.AddMinutes(1))));
        Assert.Empty(await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-c", At = T0.AddMinutes(2), Resume = true }));
    }

    /// <summary>A job whose owner is gone while it is Cancelling ends Cancelled at the reclaim's time, even with <see cref="JobReclaimRequest.Resume"/>.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Reclaim_Cancelling_EndsCancelled()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob() with { ConcurrencyKey = "k" };
        await store.CreateAsync(job);
        var running = await ClaimOneAsync(store, job.Id, "a", T0);
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Cancelling)));
        var next = NewJob() with { ConcurrencyKey = "k", CreatedAt = T0.AddSeconds(1) };
        await store.CreateAsync(next);
        lease.Clock.Advance(Lease + TimeSpan.FromSeconds(1));

        var reclaimed = Assert.Single(await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-c", At = T0.AddMinutes(1), Resume = true }));

        Assert.Equal(JobStatus.Cancelling, reclaimed.PreviousStatus);
        var read = (await store.GetAsync(job.Id))!;
        Assert.Equal((JobStatus.Cancelled, running.Version + 2), (read.Status, read.Version));
        AssertMicroseconds(T0.AddMinutes(1), read.EndedAt);
        Assert.Null(read.ClaimId);
        Assert.Equal([next.Id], (await store.ClaimAsync(Claim("b", 10, T0.AddMinutes(1)))).Select(j => j.Id));
    }

    /// <summary>Jobs found Interrupted (an instance that stopped cleanly stored them so, its lease still running) are queued again by a reclaim with <see cref="JobReclaimRequest.Resume"/>, one change each, in their place; without it they are left alone.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Reclaim_WithResume_QueuesInterruptedJobsAgainInTheirPlace()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var stopped = NewJob();
        await store.CreateAsync(stopped);
        var running = await ClaimOneAsync(store, stopped.Id, "a", T0);
        Assert.True(await store.TryTransitionAsync(Move(stopped.Id, JobStatus.Running, running.Version, JobStatus.ShuttingDown)));
        Assert.True(await store.TryTransitionAsync(Move(stopped.Id, JobStatus.ShuttingDown, running.Version + 1, JobStatus.Interrupted) with { ClaimId = running.ClaimId, HasCheckpoint = true, Checkpoint = "\"row 2\"" }));
        var later = NewJob() with { CreatedAt = T0.AddSeconds(1) };
        await store.CreateAsync(later);

        Assert.Empty(await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-b", At = T0 }));
        Assert.Equal(JobStatus.Interrupted, (await store.GetAsync(stopped.Id))!.Status);
        var before = await LatestAsync(store);
        var resumed = Assert.Single(await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-b", At = T0.AddSeconds(5), Resume = true }));

        Assert.Equal(JobStatus.Interrupted, resumed.PreviousStatus);
        Assert.Null(resumed.PreviousInstanceId);
        Assert.Equal((JobStatus.Queued, running.Version + 3, "\"row 2\""), (resumed.Job.Status, resumed.Job.Version, resumed.Job.Checkpoint));
        var change = Assert.Single(await ReadAllFeedAsync(store, before));
        Assert.Equal((JobStatus.Interrupted, JobStatus.Queued, running.Version + 3), (change.PreviousStatus, change.Status, change.Version));
        Assert.Equal([stopped.Id, later.Id], (await store.ClaimAsync(Claim("b", 10, T0.AddSeconds(5)))).Select(j => j.Id));
    }
}
