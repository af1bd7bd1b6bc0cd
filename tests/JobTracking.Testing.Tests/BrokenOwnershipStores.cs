using System.Collections.Concurrent;

namespace JobTracking.Testing.Tests;

// Broken stores of ownership: fenced writes, progress saves, lease renewal and reclaim.

/// <summary>Applies a transition under a claim that is no longer the job's current one.</summary>
internal sealed class TransitionIgnoringClaim(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) =>
        base.TryTransitionAsync(transition with { ClaimId = null }, cancellationToken);
}

/// <summary>Stores progress under a claim that is no longer the job's current one.</summary>
internal sealed class SaveProgressIgnoringClaim(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default) =>
        base.SaveProgressAsync(new JobProgressUpdate { JobId = update.JobId, Report = update.Report, HasCheckpoint = update.HasCheckpoint, Checkpoint = update.Checkpoint }, cancellationToken);
}

/// <summary>Stores progress on a job that is no longer active.</summary>
internal sealed class SaveProgressOnFinishedJobs(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, JobReport> _reports = new();

    public override async ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default)
    {
        if (await base.SaveProgressAsync(update, cancellationToken))
        {
            _reports.TryRemove(update.JobId, out _);
            return true;
        }

        if (update.ClaimId is null && await ReadInnerAsync(update.JobId) is { } job && !JobLifecycle.IsActive(job.Status))
        {
            _reports[update.JobId] = update.Report;
            return true;
        }

        return false;
    }

    protected override JobRecord Present(JobRecord job) =>
        _reports.TryGetValue(job.Id, out var report) ? job with { Progress = report.Progress, Steps = report.Steps, WarningCount = report.WarningCount } : job;
}

/// <summary>Stores a checkpoint saved with progress but not the report that goes with it.</summary>
internal sealed class SaveProgressWithoutCheckpointReport(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, bool> _dropped = new();

    public override async ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default)
    {
        var saved = await base.SaveProgressAsync(update, cancellationToken);
        if (saved && update.HasCheckpoint)
        {
            _dropped[update.JobId] = true;
        }

        return saved;
    }

    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        var applied = await base.TryTransitionAsync(transition, cancellationToken);
        if (applied && transition.HasCheckpoint)
        {
            _dropped.TryRemove(transition.JobId, out _);
        }

        return applied;
    }

    protected override JobRecord Present(JobRecord job) => _dropped.ContainsKey(job.Id) ? job with { CheckpointReport = null } : job;
}

/// <summary>Ignores <see cref="JobProgressUpdate.HasCheckpoint"/>: a checkpoint saved with progress is lost.</summary>
internal sealed class SaveProgressIgnoringCheckpoint(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default) =>
        base.SaveProgressAsync(new JobProgressUpdate { JobId = update.JobId, ClaimId = update.ClaimId, Report = update.Report }, cancellationToken);
}

/// <summary>Raises the version when it stores progress, as if it were a transition.</summary>
internal sealed class SaveProgressRaisingVersion(InMemoryJobStore inner, TimeProvider clock) : VersionSkewingStore(inner, clock)
{
    public override async ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default)
    {
        var saved = await base.SaveProgressAsync(update, cancellationToken);
        if (saved)
        {
            Lag(update.JobId, -1);
        }

        return saved;
    }
}

/// <summary>Stores journal entries written under a claim that is no longer the job's current one.</summary>
internal sealed class JournalIgnoringClaim(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default) =>
        base.AppendJournalAsync([.. entries.Select(e => Requests.With(e, dropClaim: true))], cancellationToken);
}

/// <summary>Renews a listed job's lease whatever claim the renewal names.</summary>
internal sealed class RenewingStaleClaims(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default)
    {
        var current = new Dictionary<Guid, Guid>();
        foreach (var (jobId, claimId) in renewal.Claims)
        {
            current[jobId] = (await ReadInnerAsync(jobId))?.ClaimId ?? claimId;
        }

        return await base.RenewLeasesAsync(new JobLeaseRenewal { InstanceId = renewal.InstanceId, Claims = current, LeaseDuration = renewal.LeaseDuration }, cancellationToken);
    }
}

/// <summary>Renews every lease by the same fixed time, whatever <see cref="JobLeaseRenewal.LeaseDuration"/> asks for.</summary>
internal sealed class RenewingByAFixedDuration(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default) =>
        base.RenewLeasesAsync(new JobLeaseRenewal { InstanceId = renewal.InstanceId, Claims = renewal.Claims, LeaseDuration = TimeSpan.FromSeconds(30) }, cancellationToken);
}

/// <summary>Extends a lease from its old end instead of from the store's now.</summary>
internal sealed class RenewingFromTheOldExpiry(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default)
    {
        var renewed = new List<Guid>();
        foreach (var (jobId, claimId) in renewal.Claims)
        {
            var oldEnd = (await ReadInnerAsync(jobId))?.LeaseExpiresAt ?? Clock.GetUtcNow();
            var duration = oldEnd - Clock.GetUtcNow() + renewal.LeaseDuration;
            var one = new JobLeaseRenewal
            {
                InstanceId = renewal.InstanceId,
                Claims = new Dictionary<Guid, Guid> { [jobId] = claimId },
                LeaseDuration = duration < TimeSpan.FromSeconds(1) ? renewal.LeaseDuration : duration,
            };
            renewed.AddRange(await base.RenewLeasesAsync(one, cancellationToken));
        }

        return renewed;
    }
}

/// <summary>Reclaims jobs whose lease has not expired.</summary>
internal sealed class ReclaimTakingLiveLeases(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default) =>
        base.ReclaimAsync(Requests.With(request, includeLiveLeases: true), cancellationToken);
}

/// <summary>With <see cref="JobReclaimRequest.IncludeLiveLeases"/>, reclaims the calling instance's own live claims too.</summary>
internal sealed class ReclaimTakingOwnClaims(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default) =>
        base.ReclaimAsync(request.IncludeLiveLeases ? Requests.With(request, instanceId: "nobody") : request, cancellationToken);
}

/// <summary>A store that changes what a reclaim stored, and shows the change on every read.</summary>
internal abstract class ReclaimRewritingStore(InMemoryJobStore inner, TimeProvider clock) : VersionSkewingStore(inner, clock)
{
    public override async ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default)
    {
        var active = (await Inner.QueryAsync(new JobQuery { Statuses = [JobStatus.Running, JobStatus.Pausing, JobStatus.Cancelling, JobStatus.ShuttingDown], PageSize = JobQuery.MaxPageSize }, cancellationToken)).Items;
        var reclaimed = await Inner.ReclaimAsync(request, cancellationToken);
        foreach (var one in reclaimed)
        {
            Reclaimed(one, active.FirstOrDefault(j => j.Id == one.Job.Id));
        }

        return [.. reclaimed.Select(r => new JobReclaimed { Job = Present(r.Job), PreviousStatus = r.PreviousStatus, PreviousInstanceId = PreviousOwner(r) })];
    }

    /// <summary>Notes a job the real store reclaimed, with the job as it was before.</summary>
    protected virtual void Reclaimed(JobReclaimed reclaimed, JobRecord? before)
    {
    }

    /// <summary>The previous owner this store reports.</summary>
    protected virtual string? PreviousOwner(JobReclaimed reclaimed) => reclaimed.PreviousInstanceId;
}

/// <summary>Moves a reclaimed Cancelling job to Interrupted instead of Cancelled.</summary>
internal sealed class ReclaimInterruptingCancellingJobs(InMemoryJobStore inner, TimeProvider clock) : ReclaimRewritingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, bool> _interrupted = new();

    protected override void Reclaimed(JobReclaimed reclaimed, JobRecord? before)
    {
        if (reclaimed.PreviousStatus == JobStatus.Cancelling)
        {
            _interrupted[reclaimed.Job.Id] = true;
        }
    }

    protected override JobRecord Present(JobRecord job) =>
        job.Status == JobStatus.Cancelled && _interrupted.ContainsKey(job.Id) ? base.Present(job) with { Status = JobStatus.Interrupted, EndedAt = null } : base.Present(job);
}

/// <summary>Leaves the old owner's claim on a reclaimed job, so the old owner's late writes still land.</summary>
internal sealed class ReclaimKeepingTheClaim(InMemoryJobStore inner, TimeProvider clock) : ReclaimRewritingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, JobRecord> _owners = new();

    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) =>
        await base.TryTransitionAsync(await IsKeptClaimAsync(transition.JobId, transition.ClaimId) ? transition with { ClaimId = null } : transition, cancellationToken);

    public override async ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default) =>
        await base.SaveProgressAsync(
            await IsKeptClaimAsync(update.JobId, update.ClaimId) ? new JobProgressUpdate { JobId = update.JobId, Report = update.Report, HasCheckpoint = update.HasCheckpoint, Checkpoint = update.Checkpoint } : update,
            cancellationToken);

    protected override void Reclaimed(JobReclaimed reclaimed, JobRecord? before)
    {
        if (before?.ClaimId is not null)
        {
            _owners[reclaimed.Job.Id] = before;
        }
    }

    protected override JobRecord Present(JobRecord job) =>
        job.ClaimId is null && _owners.TryGetValue(job.Id, out var owner)
            ? base.Present(job) with { Claim = owner.Claim }
            : base.Present(job);

    // The kept claim still counts while no new claim has replaced it.
    private async ValueTask<bool> IsKeptClaimAsync(Guid jobId, Guid? claimId) =>
        claimId is { } claim && _owners.TryGetValue(jobId, out var owner) && owner.ClaimId == claim && (await ReadInnerAsync(jobId))?.ClaimId is null;
}

/// <summary>Reclaims a job without raising its version.</summary>
internal sealed class ReclaimNotRaisingVersion(InMemoryJobStore inner, TimeProvider clock) : ReclaimRewritingStore(inner, clock)
{
    protected override void Reclaimed(JobReclaimed reclaimed, JobRecord? before) => Lag(reclaimed.Job.Id, 1);
}

/// <summary>Stamps a reclaimed Cancelling job's end with the store's clock instead of the caller's <see cref="JobReclaimRequest.At"/>.</summary>
internal sealed class ReclaimEndingByTheStoreClock(InMemoryJobStore inner, TimeProvider clock) : ReclaimRewritingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _ended = new();

    protected override void Reclaimed(JobReclaimed reclaimed, JobRecord? before)
    {
        if (reclaimed.Job.Status == JobStatus.Cancelled)
        {
            _ended[reclaimed.Job.Id] = Clock.GetUtcNow();
        }
    }

    protected override JobRecord Present(JobRecord job) =>
        job.Status == JobStatus.Cancelled && _ended.TryGetValue(job.Id, out var ended) ? base.Present(job) with { EndedAt = ended } : base.Present(job);
}

/// <summary>Does not say whose claim a reclaim took.</summary>
internal sealed class ReclaimWithoutPreviousOwner(InMemoryJobStore inner, TimeProvider clock) : ReclaimRewritingStore(inner, clock)
{
    protected override string? PreviousOwner(JobReclaimed reclaimed) => null;
}

/// <summary>Reclaims every job it finds, however few were asked for.</summary>
internal sealed class ReclaimIgnoringMaxCount(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default) =>
        base.ReclaimAsync(Requests.With(request, maxCount: int.MaxValue), cancellationToken);
}
