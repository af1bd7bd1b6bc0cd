using System.Collections.Concurrent;

namespace JobTracking.Testing.Tests;

// Broken stores of IJobStore.ClaimAsync: queue order, limits, keys, and what a claim stores.

/// <summary>
/// Not atomic: it reads which jobs are queued, lets other claimers in, then writes; a job another claimer took in
/// between is overwritten and handed out a second time.
/// </summary>
internal sealed class ClaimCheckThenWrite(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        var seenQueued = (await Inner.QueryAsync(new JobQuery { Statuses = [JobStatus.Queued], PageSize = JobQuery.MaxPageSize }, cancellationToken)).Items;
        await Task.Yield();
        var claimed = (await base.ClaimAsync(request, cancellationToken)).ToList();
        foreach (var seen in seenQueued)
        {
            if (claimed.Count >= request.MaxCount)
            {
                break;
            }

            if (claimed.TrueForAll(c => c.Id != seen.Id) && await ReadInnerAsync(seen.Id) is { Status: JobStatus.Running } taken)
            {
                claimed.Add(Present(taken with { Node = request.Node, Claim = new JobClaim { InstanceId = request.InstanceId, ClaimId = Guid.NewGuid(), LeaseExpiresAt = taken.LeaseExpiresAt ?? default } }));
            }
        }

        return claimed;
    }
}

/// <summary>A store that queues jobs by a priority of its own making, and shows the job's own priority on reads.</summary>
internal abstract class PriorityRewritingStore(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, int> _priorities = new();

    public override ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        _priorities.TryAdd(job.Id, job.Priority);
        return base.CreateAsync(job with { Priority = QueuePriority(job) }, cancellationToken);
    }

    /// <summary>The priority the store actually queues the job by.</summary>
    protected abstract int QueuePriority(JobRecord job);

    protected override JobRecord Present(JobRecord job) => _priorities.TryGetValue(job.Id, out var priority) ? job with { Priority = priority } : job;
}

/// <summary>Claims in queue order alone, ignoring the jobs' priorities.</summary>
internal sealed class ClaimIgnoringPriority(InMemoryJobStore inner, TimeProvider clock) : PriorityRewritingStore(inner, clock)
{
    protected override int QueuePriority(JobRecord job) => 0;
}

/// <summary>Claims the newest job of a priority first, not the one queued first.</summary>
internal sealed class ClaimNewestFirst(InMemoryJobStore inner, TimeProvider clock) : PriorityRewritingStore(inner, clock)
{
    private int _created;

    protected override int QueuePriority(JobRecord job) => (Math.Clamp(job.Priority, -60, 60) << 24) + Interlocked.Increment(ref _created);
}

/// <summary>Claims by creation time: a job queued again keeps its old place instead of going to the back of the queue.</summary>
internal sealed class ClaimInCreationOrder(InMemoryJobStore inner, TimeProvider clock) : PriorityRewritingStore(inner, clock)
{
    private static readonly DateTimeOffset Origin = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Older jobs get a higher rank; seconds are fine enough for the kit's jobs.
    protected override int QueuePriority(JobRecord job) =>
        (Math.Clamp(job.Priority, -60, 60) << 24) - (int)Math.Clamp((job.CreatedAt - Origin).TotalSeconds, -(1 << 22), 1 << 22);
}

/// <summary>Claims every ready job, however few were asked for.</summary>
internal sealed class ClaimIgnoringMaxCount(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default) =>
        base.ClaimAsync(Requests.With(request, maxCount: int.MaxValue), cancellationToken);
}

/// <summary>Ignores <see cref="JobClaimRequest.TypeLimits"/>.</summary>
internal sealed class ClaimIgnoringTypeLimits(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default) =>
        base.ClaimAsync(Requests.With(request, typeLimits: new Dictionary<string, int>()), cancellationToken);
}

/// <summary>Claims a job whose concurrency key another active job holds.</summary>
internal sealed class ClaimIgnoringConcurrencyKeys(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, string> _keys = new();

    public override ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.ConcurrencyKey is { } key)
        {
            _keys.TryAdd(job.Id, key);
        }

        return base.CreateAsync(job with { ConcurrencyKey = null }, cancellationToken);
    }

    protected override JobRecord Present(JobRecord job) => _keys.TryGetValue(job.Id, out var key) ? job with { ConcurrencyKey = key } : job;
}

/// <summary>Claims held (Paused) jobs and drafts as if they were queued.</summary>
internal sealed class ClaimTakingHeldJobs(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        var held = await Inner.QueryAsync(new JobQuery { Statuses = [JobStatus.Paused, JobStatus.Editing], PageSize = JobQuery.MaxPageSize }, cancellationToken);
        foreach (var job in held.Items)
        {
            var move = new JobTransition { JobId = job.Id, FromStatus = job.Status, ExpectedVersion = job.Version, ToStatus = JobStatus.Queued, At = request.At };
            await Inner.TryTransitionAsync(move, cancellationToken);
        }

        return await base.ClaimAsync(request, cancellationToken);
    }
}

/// <summary>Claims a job without giving it a claim id.</summary>
internal sealed class ClaimWithoutClaimId(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    protected override JobRecord Present(JobRecord job) => job with { Claim = null };
}

/// <summary>Sets the lease from the caller's time (<see cref="JobClaimRequest.At"/>) instead of the store's clock.</summary>
internal sealed class ClaimLeasingByTheCallersClock(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _leases = new();

    public override async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        var claimed = await Inner.ClaimAsync(request, cancellationToken);
        foreach (var job in claimed)
        {
            _leases[job.ClaimId!.Value] = request.At + request.LeaseDuration;
        }

        return [.. claimed.Select(Present)];
    }

    public override async ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default)
    {
        var renewed = await base.RenewLeasesAsync(renewal, cancellationToken);
        foreach (var jobId in renewed)
        {
            _leases.TryRemove(renewal.Claims[jobId], out _);
        }

        return renewed;
    }

    protected override JobRecord Present(JobRecord job) =>
        job.ClaimId is { } claim && _leases.TryGetValue(claim, out var lease) ? job with { Claim = new JobClaim { InstanceId = job.Claim!.InstanceId, ClaimId = claim, LeaseExpiresAt = lease } } : job;
}

/// <summary>Gives every claim the same lease, whatever <see cref="JobClaimRequest.LeaseDuration"/> asks for.</summary>
internal sealed class ClaimIgnoringLeaseDuration(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default) =>
        base.ClaimAsync(Requests.With(request, leaseDuration: TimeSpan.FromMinutes(5)), cancellationToken);
}

/// <summary>Stores the claiming node's name as the owner instead of the instance id.</summary>
internal sealed class ClaimStoringNodeAsOwner(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default) =>
        base.ClaimAsync(Requests.With(request, instanceId: request.Node), cancellationToken);
}

/// <summary>Stores the instance id as the job's node instead of the node's name.</summary>
internal sealed class ClaimStoringInstanceAsNode(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default) =>
        base.ClaimAsync(Requests.With(request, node: request.InstanceId), cancellationToken);
}

/// <summary>A store that shows another start time than the real store keeps, as a claim sets it.</summary>
internal abstract class StartRewritingStore(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, (DateTimeOffset Kept, DateTimeOffset Shown)> _starts = new();

    public override async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        var claimed = await Inner.ClaimAsync(request, cancellationToken);
        foreach (var job in claimed)
        {
            if (job.StartedAt is { } kept && ShownStart(job, request) is { } shown)
            {
                _starts[job.Id] = (kept, shown);
            }
        }

        return [.. claimed.Select(Present)];
    }

    /// <summary>The start time this store would have stored for a job it just claimed, or null to keep the real one.</summary>
    protected abstract DateTimeOffset? ShownStart(JobRecord claimed, JobClaimRequest request);

    protected override JobRecord Present(JobRecord job) =>
        _starts.TryGetValue(job.Id, out var start) && job.StartedAt == start.Kept ? job with { StartedAt = start.Shown } : job;
}

/// <summary>Stamps a job's start with the store's clock instead of the caller's <see cref="JobClaimRequest.At"/>.</summary>
internal sealed class ClaimStartingByTheStoreClock(InMemoryJobStore inner, TimeProvider clock) : StartRewritingStore(inner, clock)
{
    protected override DateTimeOffset? ShownStart(JobRecord claimed, JobClaimRequest request) => claimed.StartedAt == request.At ? Clock.GetUtcNow() : null;
}

/// <summary>Overwrites the start time at every claim, so a resumed job loses the start of its attempt.</summary>
internal sealed class ClaimOverwritingStartedAt(InMemoryJobStore inner, TimeProvider clock) : StartRewritingStore(inner, clock)
{
    protected override DateTimeOffset? ShownStart(JobRecord claimed, JobClaimRequest request) => request.At;
}

/// <summary>Declares that several processes may share it, yet cannot open a second instance over the same data.</summary>
internal sealed class ClaimingToBeShared(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override JobStoreCapabilities Capabilities => JobStoreCapabilities.SharedAcrossProcesses;
}
