using JobTracking.Storage;
using Microsoft.Extensions.Logging;
using Xunit;

namespace JobTracking.Testing;

/// <summary>Claims, leases, fencing and reclaim; races released together; rules the first version of the kit missed.</summary>
public abstract partial class JobStoreConformanceTests
{
    private const int RaceRounds = 25;

    /// <summary>A claim gives each job a claim id, the claiming instance and a lease that ends a lease duration after the store's now.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Claim_GivesClaimOwnerAndLeaseFromTheStoreClock()
    {
        await using var lease = await LeaseAsync();
        var job = NewJob();
        await lease.Store.CreateAsync(job);
        lease.Clock.Advance(TimeSpan.FromMinutes(3));

        var claimed = (await lease.Store.ClaimAsync(Claim("n", 1, T0, "instance-a"))).Single();
        var read = (await lease.Store.GetAsync(job.Id))!;

        Assert.NotNull(claimed.ClaimId);
        Assert.Equal("instance-a", claimed.InstanceId);
        AssertMicroseconds(T0.AddMinutes(3) + Lease, claimed.LeaseExpiresAt);
        Assert.Equal(claimed.ClaimId, read.ClaimId);
        Assert.Equal("instance-a", read.InstanceId);
        AssertMicroseconds(T0.AddMinutes(3) + Lease, read.LeaseExpiresAt);
    }

    /// <summary>A move, a progress save or a journal entry under a claim that is not the job's current one is refused and changes nothing.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Writes_WithAStaleClaim_AreRefused()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);
        var running = await ClaimOneAsync(store, job.Id, "n", T0);
        var stale = Guid.NewGuid();

        Assert.False(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Completed) with { ClaimId = stale }));
        Assert.False(await store.SaveProgressAsync(new JobProgressUpdate { JobId = job.Id, ClaimId = stale, Report = Report(9), HasCheckpoint = true, Checkpoint = "\"stale\"" }));
        Assert.Equal(0, await J(store).AppendJournalAsync([new JobJournalEntry { JobId = job.Id, ClaimId = stale, Kind = JobJournalKind.Log, At = T0, Text = "stale" }]));

        var read = (await store.GetAsync(job.Id))!;
        Assert.Equal(JobStatus.Running, read.Status);
        Assert.Equal(running.Version, read.Version);
        Assert.Null(read.Checkpoint);
        Assert.Equal(0, read.Progress.Done);
        Assert.Empty((await J(store).ReadLogAsync(job.Id, new JournalQuery())).Items);

        Assert.True(await store.SaveProgressAsync(new JobProgressUpdate { JobId = job.Id, ClaimId = running.ClaimId, Report = Report(5), HasCheckpoint = true, Checkpoint = "\"row 5\"" }));
        Assert.Equal(1, await J(store).AppendJournalAsync([new JobJournalEntry { JobId = job.Id, ClaimId = running.ClaimId, Kind = JobJournalKind.Log, At = T0, Text = "mine" }]));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Completed) with { ClaimId = running.ClaimId, Report = Report(7) }));

        var done = (await store.GetAsync(job.Id))!;
        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.Equal(7, done.Progress.Done);
        Assert.Equal("\"row 5\"", done.Checkpoint);
        Assert.Equal(5, done.CheckpointReport?.Progress.Done);
        Assert.Null(done.ClaimId);
        Assert.Null(done.InstanceId);
        Assert.Null(done.LeaseExpiresAt);
        Assert.Single((await J(store).ReadLogAsync(job.Id, new JournalQuery())).Items);
    }

    /// <summary>A progress save is refused once the job is no longer active, even without a claim.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task SaveProgress_AfterTheJobEnded_IsRefused()
    {
        await using var lease = await LeaseAsync();
        var id = await FinishAsync(lease.Store, NewJob(), JobStatus.Completed, T0);

        Assert.False(await lease.Store.SaveProgressAsync(new JobProgressUpdate { JobId = id, Report = Report(3) }));
        Assert.Equal(0, (await lease.Store.GetAsync(id))!.Progress.Done);
    }

    /// <summary>A renewal extends the leases of the listed claims that are still current, from the store's now, and names the jobs it renewed.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task RenewLeases_ExtendsOnlyCurrentClaims()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var one = NewJob();
        var two = NewJob() with { CreatedAt = T0.AddSeconds(1) };
        await store.CreateAsync(one);
        await store.CreateAsync(two);
        var claimed = await store.ClaimAsync(Claim("n", 2, T0, "instance-a"));
        lease.Clock.Advance(TimeSpan.FromSeconds(20));

        var renewed = await store.RenewLeasesAsync(new JobLeaseRenewal
        {
            InstanceId = "instance-a",
            Claims = new Dictionary<Guid, Guid> { [one.Id] = claimed[0].ClaimId!.Value, [two.Id] = Guid.NewGuid() },
            LeaseDuration = TimeSpan.FromMinutes(1),
        });

        Assert.Equal([one.Id], renewed);
        AssertMicroseconds(T0.AddSeconds(20) + TimeSpan.FromMinutes(1), (await store.GetAsync(one.Id))!.LeaseExpiresAt);
        AssertMicroseconds(T0 + Lease, (await store.GetAsync(two.Id))!.LeaseExpiresAt);
    }

    /// <summary>Reclaim takes the active jobs whose lease expired (Cancelling ones to Cancelled, the others to Interrupted) and leaves live leases alone.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Reclaim_TakesExpiredLeasesOnly()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var running = NewJob();
        var cancelling = NewJob() with { CreatedAt = T0.AddSeconds(1) };
        var fresh = NewJob() with { CreatedAt = T0.AddSeconds(2) };
        await store.CreateAsync(running);
        await store.CreateAsync(cancelling);
        var old = await store.ClaimAsync(Claim("a", 2, T0, "instance-a"));
        Assert.True(await store.TryTransitionAsync(Move(cancelling.Id, JobStatus.Running, 2, JobStatus.Cancelling)));
        lease.Clock.Advance(Lease - TimeSpan.FromSeconds(1));
        await store.CreateAsync(fresh);
        await store.ClaimAsync(Claim("b", 1, T0, "instance-b"));

        Assert.Empty(await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-c", At = T0 }));
        lease.Clock.Advance(TimeSpan.FromSeconds(1));
        var reclaimed = await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-c", At = T0.AddMinutes(5) });

        Assert.Equal(2, reclaimed.Count);
        var interrupted = reclaimed.Single(r => r.Job.Id == running.Id);
        Assert.Equal(JobStatus.Running, interrupted.PreviousStatus);
        Assert.Equal("instance-a", interrupted.PreviousInstanceId);
        Assert.Equal(JobStatus.Interrupted, interrupted.Job.Status);
        Assert.Equal(3, interrupted.Job.Version);
        Assert.Null(interrupted.Job.ClaimId);
        var cancelled = reclaimed.Single(r => r.Job.Id == cancelling.Id);
        Assert.Equal(JobStatus.Cancelling, cancelled.PreviousStatus);
        Assert.Equal(JobStatus.Cancelled, cancelled.Job.Status);
        AssertMicroseconds(T0.AddMinutes(5), cancelled.Job.EndedAt);
        Assert.Equal(JobStatus.Running, (await store.GetAsync(fresh.Id))!.Status);

        // The old owner's late write is refused: the claim went with the reclaim.
        Assert.False(await store.TryTransitionAsync(Move(running.Id, JobStatus.Interrupted, 3, JobStatus.Queued) with { ClaimId = old[0].ClaimId }));
        Assert.False(await store.SaveProgressAsync(new JobProgressUpdate { JobId = running.Id, ClaimId = old[0].ClaimId, Report = Report(1) }));
    }

    /// <summary>At start-up of a store one process uses, live leases of other instances are taken too, never the caller's own.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Reclaim_IncludeLiveLeases_TakesOthersButNotMine()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var theirs = NewJob();
        var mine = NewJob() with { CreatedAt = T0.AddSeconds(1) };
        await store.CreateAsync(theirs);
        await store.ClaimAsync(Claim("a", 1, T0, "instance-a"));
        await store.CreateAsync(mine);
        await store.ClaimAsync(Claim("b", 1, T0, "instance-b"));

        var reclaimed = await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "instance-b", At = T0, IncludeLiveLeases = true });

        Assert.Equal([theirs.Id], reclaimed.Select(r => r.Job.Id));
        Assert.Equal(JobStatus.Running, (await store.GetAsync(mine.Id))!.Status);
    }

    /// <summary>A resumed job keeps the start time of its attempt: a second claim does not overwrite it.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Claim_AfterResume_KeepsStartedAt()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);
        var first = await ClaimOneAsync(store, job.Id, "n", T0.AddMinutes(1));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, first.Version, JobStatus.Pausing)));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Pausing, first.Version + 1, JobStatus.Paused) with { ClaimId = first.ClaimId }));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Paused, first.Version + 2, JobStatus.Queued)));

        var second = await ClaimOneAsync(store, job.Id, "n", T0.AddMinutes(9));

        AssertMicroseconds(T0.AddMinutes(1), second.StartedAt);
        Assert.NotEqual(first.ClaimId, second.ClaimId);
    }

    /// <summary>A page that holds the last job has no next-page token.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Query_LastPage_HasNoNextToken()
    {
        await using var lease = await LeaseAsync();
        for (var i = 0; i < 4; i++)
        {
            await lease.Store.CreateAsync(NewJob() with { CreatedAt = T0.AddSeconds(i) });
        }

        var first = await Q(lease.Store).QueryAsync(new JobQuery { PageSize = 2 });
        var second = await Q(lease.Store).QueryAsync(new JobQuery { PageSize = 2, PageToken = first.NextPageToken });

        Assert.NotNull(first.NextPageToken);
        Assert.Equal(2, second.Items.Count);
        Assert.Null(second.NextPageToken);
    }

    /// <summary>The purge cut-off is strict, and a purge deletes no more than it is allowed.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Purge_KeepsTheBoundaryAndHonoursMaxCount()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var atCutOff = await FinishAsync(store, NewJob(), JobStatus.Completed, T0.AddDays(1));
        for (var i = 0; i < 5; i++)
        {
            await FinishAsync(store, NewJob() with { CreatedAt = T0.AddSeconds(i) }, JobStatus.Completed, T0);
        }

        Assert.Equal(2, await Q(store).PurgeAsync(T0.AddDays(1), 2));
        Assert.Equal(3, await Q(store).PurgeAsync(T0.AddDays(1), 10));
        Assert.Equal(0, await Q(store).PurgeAsync(T0.AddDays(1), 10));
        Assert.NotNull(await store.GetAsync(atCutOff));
    }

    /// <summary>Steps given at creation are kept.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Create_WithSteps_KeepsThem()
    {
        await using var lease = await LeaseAsync();
        var steps = new List<JobStep> { new() { Name = "read", Status = JobStepStatus.Pending }, new() { Name = "write", Status = JobStepStatus.Pending } };
        var job = NewJob() with { Steps = steps };

        await lease.Store.CreateAsync(job);

        Assert.Equal(steps, (await lease.Store.GetAsync(job.Id))!.Steps);
    }

    /// <summary>Counts come per type and status.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Count_ByTypeAndStatus()
    {
        await using var lease = await LeaseAsync();
        await lease.Store.CreateAsync(NewJob() with { TypeName = "import" });
        await lease.Store.CreateAsync(NewJob() with { TypeName = "import" });
        await lease.Store.CreateAsync(NewJob() with { TypeName = "export", Status = JobStatus.Editing });

        var counts = await Q(lease.Store).CountAsync();

        Assert.Equal(2, counts.Single(c => c.TypeName == "import" && c.Status == JobStatus.Queued).Count);
        Assert.Equal(1, counts.Single(c => c.TypeName == "export" && c.Status == JobStatus.Editing).Count);
        Assert.Equal(2, counts.Count);
    }

    /// <summary>Journal text with NUL characters, and a megabyte of text, round-trip exactly.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Journal_NulAndOneMegabyte_RoundTrip()
    {
        await using var lease = await LeaseAsync();
        var job = NewJob();
        await lease.Store.CreateAsync(job);
        var nul = "before\0after\0";
        var big = new string('m', 1_048_576);

        Assert.Equal(3, await J(lease.Store).AppendJournalAsync([Log(job.Id, LogLevel.Information, nul), Log(job.Id, LogLevel.Information, big), Reject(job.Id, 1, nul, "nul\0reason")]));

        var log = (await J(lease.Store).ReadLogAsync(job.Id, new JournalQuery())).Items;
        Assert.Equal(nul, log[0].Message);
        Assert.Equal(big, log[1].Message);
        var reject = (await J(lease.Store).ReadRejectsAsync(job.Id, new JournalQuery())).Items.Single();
        Assert.Equal(nul, reject.RawRecord);
        Assert.Equal("nul\0reason", reject.Reason);
    }

    /// <summary>Workers released together through a barrier, many rounds: of racing transitions on one job exactly one wins each round.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Transition_RacingWritersReleasedTogether_ExactlyOneWins()
    {
        await using var lease = await LeaseAsync();
        using var pool = new PoolGrowth(8);
        for (var round = 0; round < RaceRounds; round++)
        {
            var job = NewJob();
            await lease.Store.CreateAsync(job);
            var targets = new[] { JobStatus.Paused, JobStatus.Cancelled, JobStatus.Paused, JobStatus.Cancelled, JobStatus.Paused, JobStatus.Cancelled, JobStatus.Paused, JobStatus.Cancelled };
            var wins = await RaceAsync(targets.Length, i => lease.Store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 1, targets[i])).AsTask());
            Assert.Equal(1, wins.Count(w => w));
            Assert.Equal(2, (await lease.Store.GetAsync(job.Id))!.Version);
        }
    }

    /// <summary>Claimers released together through a barrier, many rounds: each queued job is claimed exactly once.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Claim_RacingClaimersReleasedTogether_EachJobOnce()
    {
        await using var lease = await LeaseAsync();
        using var pool = new PoolGrowth(8);
        for (var round = 0; round < RaceRounds; round++)
        {
            var ids = new HashSet<Guid>();
            for (var i = 0; i < 6; i++)
            {
                var job = NewJob() with { CreatedAt = T0.AddSeconds(i) };
                ids.Add(job.Id);
                await lease.Store.CreateAsync(job);
            }

            var batches = await RaceAsync(8, i => lease.Store.ClaimAsync(Claim($"n{i}", 1, T0)).AsTask());
            var claimed = batches.SelectMany(b => b).Select(j => j.Id).ToList();
            Assert.Equal(claimed.Count, claimed.Distinct().Count());
            Assert.Equal(ids.Count, claimed.Count);
        }
    }

    /// <summary>Two store instances over one backing store (two processes): 30 jobs claimed by both at the same moment are each claimed exactly once, and each sees the other's writes.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task TwoInstances_ClaimTogether_EachJobOnce()
    {
        await using var lease = await LeaseAsync();
        var second = await CreateSecondInstanceAsync(lease.Store, lease.Clock);
        if (second is null)
        {
            Assert.Equal(JobStoreCapabilities.None, lease.Store.Capabilities & JobStoreCapabilities.SharedAcrossProcesses);
            Assert.Skip($"{lease.Store.GetType().Name} is used by one process at a time (it does not declare SharedAcrossProcesses), so there is no second instance to race.");
        }

        await using var secondLease = new StoreLease(second, lease.Clock);
        using var pool = new PoolGrowth(8);
        for (var i = 0; i < 30; i++)
        {
            await lease.Store.CreateAsync(NewJob() with { CreatedAt = T0.AddMilliseconds(i) });
        }

        var stores = new[] { lease.Store, second };
        var batches = await RaceAsync(8, async i =>
        {
            var mine = new List<JobRecord>();
            IReadOnlyList<JobRecord> batch;
            do
            {
                batch = await stores[i % 2].ClaimAsync(Claim($"n{i}", 2, T0, $"instance-{i % 2}"));
                mine.AddRange(batch);
            }
            while (batch.Count > 0);

            return mine;
        });

        var claimed = batches.SelectMany(b => b).ToList();
        Assert.Equal(30, claimed.Count);
        Assert.Equal(30, claimed.Select(j => j.Id).Distinct().Count());
        var seen = (await second.GetAsync(claimed[0].Id))!;
        Assert.Equal(JobStatus.Running, seen.Status);
    }

    private static JobReport Report(long done) => new() { Progress = new JobProgress(done, 10), Steps = [], WarningCount = 0 };

    // The kit compares times at microseconds: the finest precision a store must keep.
    private static void AssertMicroseconds(DateTimeOffset expected, DateTimeOffset? actual)
    {
        Assert.NotNull(actual);
        Assert.True(Math.Abs((expected - actual.Value).Ticks) < TimeSpan.TicksPerMicrosecond, $"Expected {expected:O}, read {actual.Value:O}.");
    }

    // Every worker waits at the barrier, so they all call the store at the same moment rather than one after another.
    private static async Task<T[]> RaceAsync<T>(int workers, Func<int, Task<T>> work)
    {
        using var barrier = new Barrier(workers);
        var tasks = Enumerable.Range(0, workers).Select(i => Task.Factory.StartNew(
            () =>
            {
                barrier.SignalAndWait();
                return work(i);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap());
        return await Task.WhenAll(tasks);
    }

    /// <summary>Grows the thread pool for a race, so released workers really run at once on a small machine.</summary>
    private sealed class PoolGrowth : IDisposable
    {
        private readonly int _workers;
        private readonly int _io;

        public PoolGrowth(int threads)
        {
            ThreadPool.GetMinThreads(out _workers, out _io);
            ThreadPool.SetMinThreads(Math.Max(_workers, threads * 2), _io);
        }

        public void Dispose() => ThreadPool.SetMinThreads(_workers, _io);
    }
}
