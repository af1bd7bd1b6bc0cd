using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Sqlite.Tests;

/// <summary>Who owns a running job in the SQLite store: claims with leases from the store's clock, fenced writes, renewal and reclaim.</summary>
public sealed class SqliteJobStoreOwnershipTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private readonly TempDatabase _database = new();
    private readonly FakeTimeProvider _clock = new(T0.AddHours(1));
    private SqliteJobStore _store = null!;

    public ValueTask InitializeAsync()
    {
        _store = SqliteJobStores.Open(_database.ConnectionString, timeProvider: _clock);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task Claim_SetsOwnerClaimAndLease_FromTheStoresClock()
    {
        var first = await CreateAsync();
        var second = await CreateAsync();
        _clock.Advance(TimeSpan.FromMilliseconds(1234.5));

        var claimed = await _store.ClaimAsync(Claim("a", 2));

        claimed.Select(j => j.Id).Should().Equal(first, second);
        var leaseEnd = _clock.GetUtcNow() + Lease;
        foreach (var job in claimed)
        {
            job.Status.Should().Be(JobStatus.Running);
            job.InstanceId.Should().Be("a");
            job.ClaimId.Should().NotBeNull();
            job.LeaseExpiresAt.Should().Be(leaseEnd, "the lease runs from the store's clock, not from the request's time");
            job.StartedAt.Should().Be(T0, "the start time is the claim's time");
            (await _store.GetAsync(job.Id)).Should().BeEquivalentTo(job);
        }

        claimed[0].ClaimId.Should().NotBe(claimed[1].ClaimId!.Value, "each claimed job gets a claim of its own");
    }

    [Fact]
    public async Task Transition_WithAStaleClaim_IsRefused()
    {
        var job = await ClaimOneAsync("a");

        var stale = await _store.TryTransitionAsync(Move(job, JobStatus.Completed) with { ClaimId = Guid.NewGuid() });

        stale.Should().BeFalse();
        (await _store.GetAsync(job.Id))!.Status.Should().Be(JobStatus.Running);
    }

    [Fact]
    public async Task Transition_WithTheCurrentClaim_StoresTheReportAndCheckpointAndClearsTheOwner()
    {
        var job = await ClaimOneAsync("a");
        var report = Report(done: 7, read: 7);

        var moved = await _store.TryTransitionAsync(Move(job, JobStatus.Interrupted) with
        {
            ClaimId = job.ClaimId,
            Report = report,
            HasCheckpoint = true,
            Checkpoint = "7",
        });

        moved.Should().BeTrue();
        var stored = (await _store.GetAsync(job.Id))!;
        stored.Status.Should().Be(JobStatus.Interrupted);
        (stored.InstanceId, stored.ClaimId, stored.LeaseExpiresAt).Should().Be((null, null, null), "a job leaving the active statuses loses its owner");
        stored.Progress.Should().Be(report.Progress);
        stored.WarningCount.Should().Be(2);
        stored.Steps.Should().BeEquivalentTo(report.Steps);
        stored.Checkpoint.Should().Be("7");
        stored.CheckpointReport.Should().BeEquivalentTo(report);
    }

    [Fact]
    public async Task Transition_BetweenActiveStatuses_KeepsTheOwner()
    {
        var job = await ClaimOneAsync("a");

        (await _store.TryTransitionAsync(Move(job, JobStatus.Pausing) with { ClaimId = job.ClaimId })).Should().BeTrue();

        var stored = (await _store.GetAsync(job.Id))!;
        (stored.InstanceId, stored.ClaimId, stored.LeaseExpiresAt).Should().Be((job.InstanceId, job.ClaimId, job.LeaseExpiresAt));
        stored.Version.Should().Be(job.Version + 1);
    }

    [Fact]
    public async Task Transition_CheckpointWithoutAReport_KeepsTheStoredReportWithIt()
    {
        var job = await ClaimOneAsync("a");
        var report = Report(done: 3, read: 3);
        (await _store.SaveProgressAsync(new JobProgressUpdate { JobId = job.Id, ClaimId = job.ClaimId, Report = report })).Should().BeTrue();

        (await _store.TryTransitionAsync(Move(job, JobStatus.Interrupted) with { HasCheckpoint = true, Checkpoint = "3" })).Should().BeTrue();

        var stored = (await _store.GetAsync(job.Id))!;
        stored.Checkpoint.Should().Be("3");
        stored.CheckpointReport.Should().BeEquivalentTo(report);
    }

    [Fact]
    public async Task SaveProgress_WithAStaleClaim_IsRefused()
    {
        var job = await ClaimOneAsync("a");

        var saved = await _store.SaveProgressAsync(new JobProgressUpdate { JobId = job.Id, ClaimId = Guid.NewGuid(), Report = Report(5, 5), HasCheckpoint = true, Checkpoint = "5" });

        saved.Should().BeFalse();
        var stored = (await _store.GetAsync(job.Id))!;
        (stored.Progress, stored.Checkpoint, stored.CheckpointReport).Should().Be((default(JobProgress), null, null));
    }

    [Fact]
    public async Task SaveProgress_CheckpointThenReport_KeepsTheReportThatWentWithTheCheckpoint()
    {
        var job = await ClaimOneAsync("a");
        var atCheckpoint = Report(done: 4, read: 4);
        var later = Report(done: 6, read: 6);

        (await _store.SaveProgressAsync(new JobProgressUpdate { JobId = job.Id, ClaimId = job.ClaimId, Report = atCheckpoint, HasCheckpoint = true, Checkpoint = "4" })).Should().BeTrue();
        (await _store.SaveProgressAsync(new JobProgressUpdate { JobId = job.Id, ClaimId = job.ClaimId, Report = later })).Should().BeTrue();

        var stored = (await _store.GetAsync(job.Id))!;
        stored.Progress.Should().Be(later.Progress);
        stored.Steps.Should().BeEquivalentTo(later.Steps);
        stored.Checkpoint.Should().Be("4");
        stored.CheckpointReport.Should().BeEquivalentTo(atCheckpoint, "a run resuming from checkpoint 4 counts on from the counters of checkpoint 4");
    }

    [Fact]
    public async Task SaveProgress_JobNotActive_IsRefused()
    {
        var id = await CreateAsync();

        (await _store.SaveProgressAsync(new JobProgressUpdate { JobId = id, Report = Report(1, 1) })).Should().BeFalse();
        (await _store.SaveProgressAsync(new JobProgressUpdate { JobId = Guid.NewGuid(), Report = Report(1, 1) })).Should().BeFalse();
    }

    [Fact]
    public async Task Journal_EntriesWithAStaleClaim_AreLeftOutAndTakeNoNumber()
    {
        var job = await ClaimOneAsync("a");
        var other = await ClaimOneAsync("a");
        JobJournalEntry Line(Guid jobId, Guid? claim, string text) =>
            new() { JobId = jobId, ClaimId = claim, Kind = JobJournalKind.Log, At = T0, Level = LogLevel.Information, Text = text };

        var stored = await _store.AppendJournalAsync([
            Line(job.Id, job.ClaimId, "1"),
            Line(job.Id, Guid.NewGuid(), "stale"),
            Line(other.Id, Guid.NewGuid(), "stale too"),
            Line(job.Id, null, "2"),
            Line(job.Id, job.ClaimId, "3"),
            Line(other.Id, other.ClaimId, "other 1"),
        ]);

        stored.Should().Be(4);
        (await _store.ReadLogAsync(job.Id, new JournalQuery())).Items.Select(l => (l.Sequence, l.Message)).Should().Equal((1L, "1"), (2L, "2"), (3L, "3"));
        (await _store.ReadLogAsync(other.Id, new JournalQuery())).Items.Select(l => (l.Sequence, l.Message)).Should().Equal((1L, "other 1"));
    }

    [Fact]
    public async Task RenewLeases_ExtendsCurrentClaimsOnly()
    {
        var kept = await ClaimOneAsync("a");
        var lost = await ClaimOneAsync("a");
        _clock.Advance(TimeSpan.FromSeconds(20));

        var renewed = await _store.RenewLeasesAsync(new JobLeaseRenewal
        {
            InstanceId = "a",
            Claims = new Dictionary<Guid, Guid> { [kept.Id] = kept.ClaimId!.Value, [lost.Id] = Guid.NewGuid(), [Guid.NewGuid()] = Guid.NewGuid() },
            LeaseDuration = TimeSpan.FromMinutes(1),
        });

        renewed.Should().Equal(kept.Id);
        (await _store.GetAsync(kept.Id))!.LeaseExpiresAt.Should().Be(_clock.GetUtcNow() + TimeSpan.FromMinutes(1));
        (await _store.GetAsync(lost.Id))!.LeaseExpiresAt.Should().Be(lost.LeaseExpiresAt, "a claim that is not current renews nothing");
    }

    [Fact]
    public async Task RenewLeases_ManyClaims_RenewsEveryOne()
    {
        for (var i = 0; i < 1200; i++)
        {
            await CreateAsync();
        }

        var claimed = await _store.ClaimAsync(Claim("a", 1200));
        _clock.Advance(TimeSpan.FromSeconds(10));

        var renewed = await _store.RenewLeasesAsync(new JobLeaseRenewal
        {
            InstanceId = "a",
            Claims = claimed.ToDictionary(j => j.Id, j => j.ClaimId!.Value),
            LeaseDuration = Lease,
        });

        renewed.Should().BeEquivalentTo(claimed.Select(j => j.Id));
    }

    [Fact]
    public async Task Reclaim_TakesExpiredLeasesOnly_AndMovesEachActiveStatusToItsRest()
    {
        var running = await ClaimOneAsync("a");
        var cancelling = await ClaimOneAsync("a");
        var shuttingDown = await ClaimOneAsync("a");
        (await _store.TryTransitionAsync(Move(cancelling, JobStatus.Cancelling))).Should().BeTrue();
        (await _store.TryTransitionAsync(Move(shuttingDown, JobStatus.ShuttingDown))).Should().BeTrue();
        _clock.Advance(Lease - TimeSpan.FromSeconds(1));
        var live = await ClaimOneAsync("b");
        _clock.Advance(TimeSpan.FromSeconds(1)); // the first three expire now: a lease that ends at now is over
        var at = T0.AddDays(1);

        var reclaimed = await _store.ReclaimAsync(new JobReclaimRequest { InstanceId = "b", At = at });

        reclaimed.Select(r => (r.Job.Id, r.PreviousStatus, r.PreviousInstanceId, r.Job.Status)).Should().BeEquivalentTo(new[]
        {
            (running.Id, JobStatus.Running, (string?)"a", JobStatus.Interrupted),
            (cancelling.Id, JobStatus.Cancelling, (string?)"a", JobStatus.Cancelled),
            (shuttingDown.Id, JobStatus.ShuttingDown, (string?)"a", JobStatus.Interrupted),
        });
        foreach (var r in reclaimed)
        {
            (r.Job.InstanceId, r.Job.ClaimId, r.Job.LeaseExpiresAt).Should().Be((null, null, null));
            r.Job.Should().BeEquivalentTo(await _store.GetAsync(r.Job.Id));
        }

        reclaimed.Single(r => r.Job.Id == running.Id).Job.Version.Should().Be(running.Version + 1);
        reclaimed.Single(r => r.Job.Id == running.Id).Job.EndedAt.Should().BeNull();
        reclaimed.Single(r => r.Job.Id == cancelling.Id).Job.EndedAt.Should().Be(at);
        (await _store.GetAsync(live.Id))!.Status.Should().Be(JobStatus.Running, "a live lease is not taken");
        (await _store.TryTransitionAsync(Move(running, JobStatus.Completed) with { ClaimId = running.ClaimId, ExpectedVersion = running.Version + 1 }))
            .Should().BeFalse("the run whose job was reclaimed can no longer write");
    }

    [Fact]
    public async Task Reclaim_WithLiveLeases_TakesOtherInstancesJobsButNeverTheCallersOwn()
    {
        var others = await ClaimOneAsync("a");
        var mine = await ClaimOneAsync("b");

        var reclaimed = await _store.ReclaimAsync(new JobReclaimRequest { InstanceId = "b", At = T0, IncludeLiveLeases = true });

        reclaimed.Select(r => r.Job.Id).Should().Equal(others.Id);
        (await _store.GetAsync(mine.Id))!.ClaimId.Should().Be(mine.ClaimId);
        (await _store.ReclaimAsync(new JobReclaimRequest { InstanceId = "b", At = T0 })).Should().BeEmpty("without that flag a live lease is never taken");
    }

    [Fact]
    public async Task Reclaim_HonoursMaxCount()
    {
        for (var i = 0; i < 5; i++)
        {
            await ClaimOneAsync("a");
        }

        _clock.Advance(Lease);

        (await _store.ReclaimAsync(new JobReclaimRequest { InstanceId = "b", At = T0, MaxCount = 3 })).Should().HaveCount(3);
        (await _store.ReclaimAsync(new JobReclaimRequest { InstanceId = "b", At = T0, MaxCount = 3 })).Should().HaveCount(2);
        (await _store.ReclaimAsync(new JobReclaimRequest { InstanceId = "b", At = T0, MaxCount = 3 })).Should().BeEmpty();
    }

    private static JobReport Report(long done, long read) => new()
    {
        Progress = new JobProgress(done, 10),
        WarningCount = 2,
        Steps = [new JobStep { Name = "work", Status = JobStepStatus.Running, StartedAt = T0, Read = read, Written = read - 1, Skipped = 1, Warnings = 2 }],
    };

    private static JobClaimRequest Claim(string instance, int maxCount) =>
        new() { InstanceId = instance, Node = "node-" + instance, MaxCount = maxCount, At = T0, LeaseDuration = Lease };

    private static JobTransition Move(JobRecord job, JobStatus to) =>
        new() { JobId = job.Id, FromStatus = job.Status, ExpectedVersion = job.Version, ToStatus = to, At = T0 };

    private async Task<Guid> CreateAsync()
    {
        var id = Guid.CreateVersion7();
        await _store.CreateAsync(new JobRecord
        {
            Id = id,
            TypeName = "t",
            DisplayName = "job",
            Status = JobStatus.Queued,
            Version = 1,
            Parameters = "{}",
            CreatedAt = T0,
        });
        return id;
    }

    private async Task<JobRecord> ClaimOneAsync(string instance)
    {
        var id = await CreateAsync();
        var claimed = await _store.ClaimAsync(Claim(instance, 1));
        claimed.Should().ContainSingle().Which.Id.Should().Be(id);
        return claimed[0];
    }
}
