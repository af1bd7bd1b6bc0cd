using JobTracking.Storage;
using Xunit;

namespace JobTracking.Testing;

/// <summary>The change feed (<see cref="IJobFeedStore"/>): every change recorded with the change, in order, with the values stored.</summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>A creation, a claim, a report and a failure each add one change, in that order, carrying what the store stored with it.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Feed_RecordsEachChangeWithTheValuesStored()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var start = await LatestAsync(store);
        var job = NewJob() with { DisplayName = "feed <job> '; --", LaunchedBy = "ann" };

        await store.CreateAsync(job);
        var running = await ClaimOneAsync(store, job.Id, "n", T0.AddSeconds(1));
        Assert.True(await store.SaveProgressAsync(new JobProgressUpdate { JobId = job.Id, ClaimId = running.ClaimId, Report = new JobReport { Progress = new JobProgress(4, 10), Steps = [], WarningCount = 3 } }));
        var error = new JobError { Type = "System.IO.IOException", Message = "disk \0 full", StackTrace = "at X" };
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Failed, T0.AddSeconds(2)) with
        {
            ClaimId = running.ClaimId,
            Error = error,
            Report = new JobReport { Progress = new JobProgress(6, 10), Steps = [], WarningCount = 5 },
        }));

        var changes = await ReadAllFeedAsync(store, start);
        Assert.Equal(4, changes.Count);
        AssertIncreasing(changes);
        Assert.All(changes, c =>
        {
            Assert.Equal(job.Id, c.JobId);
            Assert.Equal(job.TypeName, c.TypeName);
            Assert.Equal(job.DisplayName, c.DisplayName);
            Assert.Equal("ann", c.LaunchedBy);
            Assert.Equal(1, c.Attempt);
        });

        var created = changes[0];
        Assert.Equal(JobEventKind.Created, created.Kind);
        Assert.Equal((JobStatus.Queued, JobStatus.Queued, 1L), (created.PreviousStatus, created.Status, created.Version));
        AssertMicroseconds(job.CreatedAt, created.At);

        var claimed = changes[1];
        Assert.Equal(JobEventKind.StatusChanged, claimed.Kind);
        Assert.Equal((JobStatus.Queued, JobStatus.Running, 2L), (claimed.PreviousStatus, claimed.Status, claimed.Version));
        Assert.Equal(running.InstanceId, claimed.InstanceId);
        AssertMicroseconds(T0.AddSeconds(1), claimed.At);

        var report = changes[2];
        Assert.Equal(JobEventKind.Progress, report.Kind);
        Assert.Equal((JobStatus.Running, JobStatus.Running, 2L), (report.PreviousStatus, report.Status, report.Version));
        Assert.Equal(new JobProgress(4, 10), report.Progress);
        Assert.Equal(3, report.WarningCount);
        Assert.Equal(running.InstanceId, report.InstanceId);

        var failed = changes[3];
        Assert.Equal(JobEventKind.StatusChanged, failed.Kind);
        Assert.Equal((JobStatus.Running, JobStatus.Failed, 3L), (failed.PreviousStatus, failed.Status, failed.Version));
        Assert.Equal(new JobProgress(6, 10), failed.Progress);
        Assert.Equal(5, failed.WarningCount);
        Assert.Equal(error, failed.Error);
        Assert.Null(failed.InstanceId);
        AssertMicroseconds(T0.AddSeconds(2), failed.At);
    }

    /// <summary>A draft's creation and each edit are changes of their own, so its versions never jump; a refused write, a lease renewal and a read record nothing.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Feed_DraftEditsAreChanges_RefusedWritesAreNot()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var start = await LatestAsync(store);
        var draft = NewJob() with { Status = JobStatus.Editing };
        await store.CreateAsync(draft);
        Assert.True(await store.TryUpdateDraftAsync(draft.Id, 1, "{\"a\":1}", "renamed"));
        Assert.False(await store.TryUpdateDraftAsync(draft.Id, 1, "{\"a\":2}", "stale edit"));
        Assert.False(await store.TryTransitionAsync(Move(draft.Id, JobStatus.Editing, 1, JobStatus.Queued)));
        Assert.True(await store.TryTransitionAsync(Move(draft.Id, JobStatus.Editing, 2, JobStatus.Queued)));
        var running = await ClaimOneAsync(store, draft.Id, "n", T0);
        await store.RenewLeasesAsync(new JobLeaseRenewal { InstanceId = running.InstanceId!, Claims = new Dictionary<Guid, Guid> { [draft.Id] = running.ClaimId!.Value }, LeaseDuration = Lease });
        Assert.False(await store.SaveProgressAsync(new JobProgressUpdate { JobId = draft.Id, ClaimId = Guid.NewGuid(), Report = Report(1) }));
        await store.GetAsync(draft.Id);

        var changes = await ReadAllFeedAsync(store, start);
        Assert.Equal(
            [(JobEventKind.Created, JobStatus.Editing, 1L), (JobEventKind.DraftEdited, JobStatus.Editing, 2L), (JobEventKind.StatusChanged, JobStatus.Queued, 3L), (JobEventKind.StatusChanged, JobStatus.Running, 4L)],
            changes.Select(c => (c.Kind, c.Status, c.Version)).ToList());
        Assert.Equal("renamed", changes[1].DisplayName);
        Assert.Equal(JobStatus.Editing, changes[1].PreviousStatus);
    }

    /// <summary>A read returns only changes after the given sequence number, oldest first, no more than the buffer holds, and says where the feed ends.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Feed_ReadsAfterASequenceNumber_InPages()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var start = await LatestAsync(store);
        for (var i = 0; i < 5; i++)
        {
            await store.CreateAsync(NewJob());
        }

        var buffer = new JobChange[2];
        var first = await F(store).ReadFeedAsync(start, buffer);
        Assert.Equal(2, first.Count);
        Assert.True(buffer[0].Sequence > start && buffer[1].Sequence > buffer[0].Sequence);
        Assert.True(first.LatestSequence >= buffer[1].Sequence);
        Assert.True(first.FirstSequence <= buffer[0].Sequence);

        var all = await ReadAllFeedAsync(store, start);
        Assert.Equal(5, all.Count);
        Assert.Equal(buffer[0], all[0]);
        var rest = await ReadAllFeedAsync(store, all[1].Sequence);
        Assert.Equal(all.Skip(2).ToList(), rest);

        var end = await F(store).ReadFeedAsync(all[^1].Sequence, new JobChange[8]);
        Assert.Equal(0, end.Count);
        Assert.Equal(all[^1].Sequence, end.LatestSequence);
    }

    /// <summary>A wait after the newest change completes when the next change is recorded, and at once when there is already a newer one.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Feed_WaitForChanges_CompletesWhenAChangeIsRecorded()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        await store.CreateAsync(NewJob());
        var latest = await LatestAsync(store);
        Assert.True(F(store).WaitForChangesAsync(latest - 1).AsTask().Wait(TimeSpan.FromSeconds(10)), "a wait after an older change completes at once");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var waiting = F(store).WaitForChangesAsync(latest, timeout.Token).AsTask();
        await store.CreateAsync(NewJob());
        await waiting; // a store shared by several processes may take up to its poll interval; the token bounds the test
        Assert.True((await LatestAsync(store)) > latest);
    }

    /// <summary>Jobs that workers move concurrently have, in feed order, versions that rise by one with no gap, each change starting where the last one ended.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Feed_ConcurrentMoves_EachJobsChangesAreInVersionOrder()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var start = await LatestAsync(store);
        var jobs = Enumerable.Range(0, 4).Select(_ => NewJob()).ToList();
        foreach (var job in jobs)
        {
            await store.CreateAsync(job);
        }

        using var growth = new PoolGrowth(8);
        await RaceAsync(8, async worker =>
        {
            for (var i = 0; i < 40; i++)
            {
                var job = (await store.GetAsync(jobs[(worker + i) % jobs.Count].Id))!;
                var to = job.Status == JobStatus.Queued ? JobStatus.Paused : JobStatus.Queued;
                await store.TryTransitionAsync(Move(job.Id, job.Status, job.Version, to));
            }

            return 0;
        });

        var changes = await ReadAllFeedAsync(store, start);
        AssertIncreasing(changes);
        foreach (var job in jobs)
        {
            var path = changes.Where(c => c.JobId == job.Id).ToList();
            var stored = (await store.GetAsync(job.Id))!;
            Assert.Equal(Enumerable.Range(1, (int)stored.Version).Select(v => (long)v), path.Select(c => c.Version));
            for (var i = 1; i < path.Count; i++)
            {
                Assert.Equal(path[i - 1].Status, path[i].PreviousStatus);
            }

            Assert.Equal(stored.Status, path[^1].Status);
        }
    }

    /// <summary>A reclaim is a change like any other: the job's move to Interrupted is in the feed, with no instance.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Feed_Reclaim_IsRecorded()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);
        await ClaimOneAsync(store, job.Id, "a", T0);
        var before = await LatestAsync(store);
        lease.Clock.Advance(Lease + TimeSpan.FromSeconds(1));

        var reclaimed = await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-b", At = T0.AddMinutes(1) });

        Assert.Single(reclaimed);
        var change = Assert.Single(await ReadAllFeedAsync(store, before));
        Assert.Equal((JobStatus.Running, JobStatus.Interrupted, 3L), (change.PreviousStatus, change.Status, change.Version));
        Assert.Null(change.InstanceId);
    }

    /// <summary>
    /// A reader that sees a change in the feed and then claims finds what the change did: the key of a job that
    /// finished is free, a job queued again is in the queue. A scheduler woken by the feed claims at once; were the change
    /// visible before its effect, it would find nothing and miss the job until its next poll (on a store that one process
    /// uses, for ever).
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Feed_AChangeReadFromTheFeed_IsSeenByAClaimMadeAfter()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        using var growth = new PoolGrowth(2);
        for (var round = 0; round < 40; round++)
        {
            // Even rounds: a job ends and frees its key for the next job of the key. Odd rounds: a paused job is resumed.
            var freesKey = round % 2 == 0;
            var key = $"feed-then-claim-{round}";
            var first = NewJob() with { ConcurrencyKey = key };
            var next = NewJob() with { ConcurrencyKey = key };
            await store.CreateAsync(first);
            await store.CreateAsync(next);
            var running = await ClaimOneAsync(store, first.Id, "n", T0);
            var move = freesKey
                ? Move(first.Id, JobStatus.Running, running.Version, JobStatus.Completed) with { ClaimId = running.ClaimId }
                : Move(next.Id, JobStatus.Paused, 2, JobStatus.Queued);
            if (!freesKey)
            {
                Assert.True(await store.TryTransitionAsync(Move(next.Id, JobStatus.Queued, 1, JobStatus.Paused)));
                Assert.True(await store.TryTransitionAsync(Move(first.Id, JobStatus.Running, running.Version, JobStatus.Completed) with { ClaimId = running.ClaimId }));
            }

            var after = await LatestAsync(store);
            var results = await RaceAsync(2, async worker =>
            {
                if (worker == 0)
                {
                    Assert.True(await store.TryTransitionAsync(move));
                    return (IReadOnlyList<JobRecord>)[];
                }

                await WaitInFeedAsync(store, after, move.JobId, move.ToStatus);
                return await store.ClaimAsync(Claim("reader", 1, T0));
            });

            Assert.True(results[1].Count == 1 && results[1][0].Id == next.Id, $"Round {round}: a claim made after the feed showed {move.JobId:N} {move.ToStatus} should take job {next.Id:N}; it took {results[1].Count} job(s).");
            Assert.True(await store.TryTransitionAsync(Move(next.Id, JobStatus.Running, results[1][0].Version, JobStatus.Completed) with { ClaimId = results[1][0].ClaimId }));
        }
    }

    // Reads the feed, as fast as it answers, until it shows the job moved to the status.
    private static async Task WaitInFeedAsync(IJobStore store, long after, Guid jobId, JobStatus status)
    {
        var buffer = new JobChange[16];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!timeout.IsCancellationRequested)
        {
            var read = await F(store).ReadFeedAsync(after, buffer, CancellationToken.None);
            for (var i = 0; i < read.Count; i++)
            {
                if (buffer[i].JobId == jobId && buffer[i].Status == status)
                {
                    return;
                }
            }

            after = read.Count > 0 ? buffer[read.Count - 1].Sequence : after;
        }

        Assert.Fail($"The feed did not show job {jobId:N} moved to {status} within 30 s.");
    }

    private static IJobFeedStore F(IJobStore store) =>
        store as IJobFeedStore ?? throw new InvalidOperationException($"{store.GetType().Name} does not implement IJobFeedStore; a store implements all four contracts.");

    private static async Task<long> LatestAsync(IJobStore store) => (await F(store).ReadFeedAsync(0, Memory<JobChange>.Empty)).LatestSequence;

    private static async Task<List<JobChange>> ReadAllFeedAsync(IJobStore store, long after)
    {
        var all = new List<JobChange>();
        var buffer = new JobChange[3]; // small on purpose: the reads must page
        while (true)
        {
            var read = await F(store).ReadFeedAsync(after, buffer);
            if (read.Count == 0)
            {
                return all;
            }

            all.AddRange(buffer.AsSpan(0, read.Count).ToArray());
            after = buffer[read.Count - 1].Sequence;
        }
    }

    private static void AssertIncreasing(List<JobChange> changes)
    {
        for (var i = 1; i < changes.Count; i++)
        {
            Assert.True(changes[i].Sequence > changes[i - 1].Sequence, $"sequence {changes[i].Sequence} came after {changes[i - 1].Sequence}");
        }
    }
}
