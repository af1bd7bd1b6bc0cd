using System.Collections.Concurrent;
using System.Text;

namespace JobTracking.Testing.Tests;

// Broken stores of creating, reading and editing a job: round-trips, drafts, read-your-writes.

/// <summary>Ignores a second job with an id it already holds instead of refusing it.</summary>
internal sealed class CreateIgnoringDuplicates(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (await ReadInnerAsync(job.Id) is null)
        {
            await base.CreateAsync(job, cancellationToken);
        }

        return job.Id;
    }
}

/// <summary>Refuses a create whose id it holds even when the job is the one sent (a create sent again after its answer was lost).</summary>
internal sealed class CreateRefusingItsOwnJob(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (await ReadInnerAsync(job.Id) is not null)
        {
            throw new ArgumentException($"A job with id '{job.Id}' already exists.", nameof(job));
        }

        return await base.CreateAsync(job, cancellationToken);
    }
}

/// <summary>Takes a job that differs from the stored one only in its creation time for the stored one.</summary>
internal sealed class CreateIgnoringCreationTime(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (await ReadInnerAsync(job.Id) is { } stored && JobStoreArguments.IsIdenticalNewJob(stored, job with { CreatedAt = stored.CreatedAt }))
        {
            return job.Id;
        }

        return await base.CreateAsync(job, cancellationToken);
    }
}

/// <summary>Compares the status of a job that has moved since it was created, so a create sent again after a claim is refused.</summary>
internal sealed class CreateComparingStatusAfterAMove(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (await ReadInnerAsync(job.Id) is { } stored && stored.Status != job.Status)
        {
            throw new ArgumentException($"A job with id '{job.Id}' already exists with status {stored.Status}.", nameof(job));
        }

        return await base.CreateAsync(job, cancellationToken);
    }
}

/// <summary>Stores a new job whose status is neither Editing nor Queued (as Queued) instead of refusing it.</summary>
internal sealed class CreateAcceptingAnyStatus(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return base.CreateAsync(job.Status is JobStatus.Editing or JobStatus.Queued ? job : job with { Status = JobStatus.Queued }, cancellationToken);
    }
}

/// <summary>Drops the steps a job is created with.</summary>
internal sealed class CreateDroppingSteps(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return base.CreateAsync(job with { Steps = [] }, cancellationToken);
    }
}

/// <summary>Edits a draft without raising its version.</summary>
internal sealed class DraftEditNotRaisingVersion(InMemoryJobStore inner, TimeProvider clock) : VersionSkewingStore(inner, clock)
{
    public override async ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default)
    {
        var updated = await base.TryUpdateDraftAsync(jobId, expectedVersion, parameters, displayName, cancellationToken);
        if (updated)
        {
            Lag(jobId, 1);
        }

        return updated;
    }
}

/// <summary>Edits a job at the expected version whatever its status, not only a draft.</summary>
internal sealed class DraftEditOfAnyStatus(InMemoryJobStore inner, TimeProvider clock) : VersionSkewingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, (string Parameters, string DisplayName)> _edits = new();

    public override async ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default)
    {
        if (await base.TryUpdateDraftAsync(jobId, expectedVersion, parameters, displayName, cancellationToken))
        {
            return true;
        }

        if (await ReadInnerAsync(jobId) is { } job && Present(job).Version == expectedVersion)
        {
            _edits[jobId] = (parameters, displayName);
            Lag(jobId, -1);
            return true;
        }

        return false;
    }

    protected override JobRecord Present(JobRecord job) =>
        _edits.TryGetValue(job.Id, out var edit) ? base.Present(job) with { Parameters = edit.Parameters, DisplayName = edit.DisplayName } : base.Present(job);
}

/// <summary>Edits a draft whatever its version.</summary>
internal sealed class DraftEditIgnoringVersion(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default) =>
        await base.TryUpdateDraftAsync(jobId, (await ReadInnerAsync(jobId))?.Version ?? expectedVersion, parameters, displayName, cancellationToken);
}

/// <summary>Keeps times to the millisecond only.</summary>
internal sealed class TimesInMilliseconds(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    protected override JobRecord Present(JobRecord job) => job with
    {
        CreatedAt = Truncate(job.CreatedAt),
        StartedAt = job.StartedAt is { } started ? Truncate(started) : null,
        EndedAt = job.EndedAt is { } ended ? Truncate(ended) : null,
        Claim = job.Claim is { } claim ? new JobClaim { InstanceId = claim.InstanceId, ClaimId = claim.ClaimId, LeaseExpiresAt = Truncate(claim.LeaseExpiresAt) } : null,
    };

    private static DateTimeOffset Truncate(DateTimeOffset time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerMillisecond), time.Offset);
}

/// <summary>Stores text in a single-byte encoding: what Latin-1 cannot hold comes back as '?'.</summary>
internal sealed class TextInLatin1(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return base.CreateAsync(
            job with { DisplayName = Latin1(job.DisplayName), Parameters = Latin1(job.Parameters), LaunchedBy = job.LaunchedBy is { } by ? Latin1(by) : null },
            cancellationToken);
    }

    private static string Latin1(string text) => Encoding.Latin1.GetString(Encoding.Latin1.GetBytes(text));
}

/// <summary>Escapes single quotes the way SQL text is escaped, and stores the escaped text.</summary>
internal sealed class TextWithDoubledQuotes(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return base.CreateAsync(
            job with { DisplayName = Escape(job.DisplayName), Parameters = Escape(job.Parameters), LaunchedBy = job.LaunchedBy is { } by ? Escape(by) : null },
            cancellationToken);
    }

    private static string Escape(string text) => text.Replace("'", "''", StringComparison.Ordinal);
}

/// <summary>Reads an empty text back as absent (as a database that stores '' as NULL does).</summary>
internal sealed class EmptyTextAsNull(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    protected override JobRecord Present(JobRecord job) => job.LaunchedBy is "" || job.ConcurrencyKey is "" ? job with
    {
        LaunchedBy = job.LaunchedBy is "" ? null : job.LaunchedBy,
        ConcurrencyKey = job.ConcurrencyKey is "" ? null : job.ConcurrencyKey,
    }
        : job;
}

/// <summary>Caches a job the first time it is read, so later reads miss the job's own writes.</summary>
internal sealed class GetFromAStaleCache(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, JobRecord> _cache = new();

    public override async ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        if (_cache.TryGetValue(jobId, out var cached))
        {
            return cached;
        }

        var job = await base.GetAsync(jobId, cancellationToken);
        return job is null ? null : _cache.GetOrAdd(jobId, job);
    }
}

/// <summary>
/// Records a move in the feed before claims see what it did: for a short while after a job ends or is queued again,
/// claims find nothing, as a store would that publishes the change first and frees the key or queues the job after.
/// </summary>
internal sealed class FeedAheadOfClaims(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private int _applying;

    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _applying);
        try
        {
            var moved = await base.TryTransitionAsync(transition, cancellationToken);
            await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None); // the effect, applied after the change is visible
            return moved;
        }
        finally
        {
            Interlocked.Decrement(ref _applying);
        }
    }

    public override async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _applying) > 0 ? [] : await base.ClaimAsync(request, cancellationToken);
}
