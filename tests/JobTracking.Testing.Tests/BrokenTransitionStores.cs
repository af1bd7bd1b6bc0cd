using System.Collections.Concurrent;

namespace JobTracking.Testing.Tests;

// Broken stores of IJobStore.TryTransitionAsync and the fields JobTransition says a store sets.

/// <summary>Applies a transition whenever the status matches, whatever the version.</summary>
internal sealed class TransitionIgnoringExpectedVersion(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        if (await ReadInnerAsync(transition.JobId) is { } job && job.Status == transition.FromStatus)
        {
            transition = transition with { ExpectedVersion = job.Version };
        }

        return await base.TryTransitionAsync(transition, cancellationToken);
    }
}

/// <summary>Applies a transition whenever the version matches, whatever the status (as <c>WHERE version = @v</c> would).</summary>
internal sealed class TransitionIgnoringFromStatus(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckTransition(transition);
        if (await ReadInnerAsync(transition.JobId) is { } job
            && job.Version == transition.ExpectedVersion
            && job.Status != transition.FromStatus
            && JobLifecycle.CanTransition(job.Status, transition.ToStatus))
        {
            transition = transition with { FromStatus = job.Status };
        }

        return await base.TryTransitionAsync(transition, cancellationToken);
    }
}

/// <summary>Moves the status but leaves the version where it was.</summary>
internal sealed class TransitionNotRaisingVersion(InMemoryJobStore inner, TimeProvider clock) : VersionSkewingStore(inner, clock)
{
    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        var applied = await base.TryTransitionAsync(transition, cancellationToken);
        if (applied)
        {
            Lag(transition.JobId, 1);
        }

        return applied;
    }
}

/// <summary>Never checks the lifecycle: a move it does not allow is applied (here through the moves in between) instead of refused with an exception.</summary>
internal sealed class TransitionApplyingIllegalMoves(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        if (JobLifecycle.CanTransition(transition.FromStatus, transition.ToStatus))
        {
            return await base.TryTransitionAsync(transition, cancellationToken);
        }

        if (await ReadInnerAsync(transition.JobId) is not { } job || job.Status != transition.FromStatus || job.Version != transition.ExpectedVersion)
        {
            return false;
        }

        var version = job.Version;
        var from = job.Status;
        foreach (var step in ShortestPath(from, transition.ToStatus))
        {
            if (!await base.TryTransitionAsync(transition with { FromStatus = from, ExpectedVersion = version, ToStatus = step }, cancellationToken))
            {
                return false;
            }

            (from, version) = (step, version + 1);
        }

        return true;
    }

    private static List<JobStatus> ShortestPath(JobStatus from, JobStatus to)
    {
        var cameFrom = new Dictionary<JobStatus, JobStatus>();
        var open = new Queue<JobStatus>([from]);
        while (open.TryDequeue(out var status) && status != to)
        {
            foreach (var next in JobLifecycle.NextStatuses(status))
            {
                if (next != from && cameFrom.TryAdd(next, status))
                {
                    open.Enqueue(next);
                }
            }
        }

        var path = new List<JobStatus>();
        for (var status = to; status != from && cameFrom.TryGetValue(status, out var previous); status = previous)
        {
            path.Insert(0, status);
        }

        return path;
    }
}

/// <summary>Forgets to set the end time when a job moves to Completed (Cancelled and Failed still get one).</summary>
internal sealed class TransitionNotEndingCompletedJobs(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, bool> _completed = new();

    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        var applied = await base.TryTransitionAsync(transition, cancellationToken);
        if (applied && transition.ToStatus == JobStatus.Completed)
        {
            _completed[transition.JobId] = true;
        }

        return applied;
    }

    protected override JobRecord Present(JobRecord job) =>
        job.Status == JobStatus.Completed && _completed.ContainsKey(job.Id) ? job with { EndedAt = null } : job;
}

/// <summary>Keeps the end time of a finished job when it is queued again.</summary>
internal sealed class TransitionKeepingEndedAtOnRequeue(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _ended = new();

    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        var before = transition.ToStatus == JobStatus.Queued ? await ReadInnerAsync(transition.JobId) : null;
        var applied = await base.TryTransitionAsync(transition, cancellationToken);
        if (applied && before?.EndedAt is { } ended)
        {
            _ended[transition.JobId] = ended;
        }

        return applied;
    }

    protected override JobRecord Present(JobRecord job) =>
        job.EndedAt is null && _ended.TryGetValue(job.Id, out var ended) ? job with { EndedAt = ended } : job;
}

/// <summary>Moves a job to Failed without storing its error.</summary>
internal sealed class TransitionDroppingError(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) =>
        base.TryTransitionAsync(transition with { Error = null }, cancellationToken);
}

/// <summary>Ignores <see cref="JobTransition.HasCheckpoint"/>: a checkpoint handed over with a move is lost.</summary>
internal sealed class TransitionIgnoringCheckpoint(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) =>
        base.TryTransitionAsync(transition with { HasCheckpoint = false, Checkpoint = null }, cancellationToken);
}

/// <summary>Ignores <see cref="JobTransition.IsNewAttempt"/>: a restart keeps the attempt number, start time and error.</summary>
internal sealed class TransitionIgnoringNewAttempt(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) =>
        base.TryTransitionAsync(transition with { IsNewAttempt = false }, cancellationToken);
}

/// <summary>Ignores <see cref="JobTransition.Report"/>: a run's final report is lost.</summary>
internal sealed class TransitionDroppingReport(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) =>
        base.TryTransitionAsync(transition with { Report = null }, cancellationToken);
}

/// <summary>Keeps the claim, owner and lease on a job that left the active statuses.</summary>
internal sealed class TransitionKeepingTheClaim(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, JobRecord> _owners = new();

    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        var before = await ReadInnerAsync(transition.JobId);
        var applied = await base.TryTransitionAsync(transition, cancellationToken);
        if (applied && before?.ClaimId is not null && !JobLifecycle.IsActive(transition.ToStatus))
        {
            _owners[transition.JobId] = before;
        }

        return applied;
    }

    protected override JobRecord Present(JobRecord job) =>
        job.ClaimId is null && !JobLifecycle.IsActive(job.Status) && _owners.TryGetValue(job.Id, out var owner)
            ? job with { Claim = owner.Claim }
            : job;
}

/// <summary>
/// Not atomic: it checks the status and version, lets other threads in, then writes over whatever is there (a
/// read-then-update without a condition), so two racing writers both win.
/// </summary>
internal sealed class TransitionCheckThenWrite(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckTransition(transition);
        if (await ReadInnerAsync(transition.JobId) is not { } read || read.Status != transition.FromStatus || read.Version != transition.ExpectedVersion)
        {
            return false;
        }

        await Task.Yield();
        if (await base.TryTransitionAsync(transition, cancellationToken))
        {
            return true;
        }

        var now = await ReadInnerAsync(transition.JobId);
        if (now is null || (now.Status == read.Status && now.Version == read.Version))
        {
            return false; // refused for another reason (the claim), not lost to a racing writer
        }

        // Another writer got in between: this one overwrites it, believing the row was still as read.
        if (JobLifecycle.CanTransition(now.Status, transition.ToStatus))
        {
            await base.TryTransitionAsync(transition with { FromStatus = now.Status, ExpectedVersion = now.Version }, cancellationToken);
        }

        return true;
    }
}
