namespace JobTracking.Testing.Tests;

// Broken stores of time and repetition: jobs that wait for their time, retries, run now, idempotency keys.

/// <summary>Drops a new job's time, so it is claimed at once.</summary>
internal sealed class CreateIgnoringRunAfter(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default) =>
        base.CreateAsync(job with { RunAfter = null }, cancellationToken);
}

/// <summary>Never says when the next waiting job comes due.</summary>
internal sealed class NextRunAfterNeverKnown(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<DateTimeOffset?> GetNextRunAfterAsync(CancellationToken cancellationToken = default) => new((DateTimeOffset?)null);
}

/// <summary>Keeps a job's old time on a move to Queued, so "run now" leaves it waiting.</summary>
internal sealed class RequeueKeepingTheOldTime(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        if (transition.ToStatus == JobStatus.Queued && transition.RunAfter is null && await ReadInnerAsync(transition.JobId) is { RunAfter: { } kept })
        {
            transition = transition with { RunAfter = kept };
        }

        return await base.TryTransitionAsync(transition, cancellationToken);
    }
}

/// <summary>Records a retried attempt with the status it was moved from (Running) instead of Failed with the move's error.</summary>
internal sealed class RetryRecordedAsRunning(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) =>
        base.TryTransitionAsync(transition.ToStatus == JobStatus.Queued ? transition with { Error = null } : transition, cancellationToken);
}

/// <summary>Leaves the job's time out of the change feed.</summary>
internal sealed class FeedWithoutRunAfter(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default)
    {
        var read = await base.ReadFeedAsync(afterSequence, buffer, cancellationToken);
        var changes = buffer.Span[..read.Count];
        for (var i = 0; i < changes.Length; i++)
        {
            changes[i] = changes[i] with { RunAfter = null };
        }

        return read;
    }
}

/// <summary>Ignores idempotency keys: every create stores a job.</summary>
internal sealed class CreateIgnoringIdempotencyKeys(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default) =>
        base.CreateAsync(job with { IdempotencyKey = null, IdempotentUntil = null }, cancellationToken);

    public override ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default) =>
        base.CreateManyAsync([.. jobs.Select(j => j with { IdempotencyKey = null, IdempotentUntil = null })], cancellationToken);
}

/// <summary>Keeps a key held for ever, whatever the holder's window.</summary>
internal sealed class KeyHeldForEver(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default) =>
        base.CreateAsync(job with { IdempotentUntil = null }, cancellationToken);
}

/// <summary>Checks the key, then stores: two racing creates with one key both store a job.</summary>
internal sealed class KeyCheckedThenStored(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly Dictionary<string, Guid> _holders = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public override async ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        if (job.IdempotencyKey is not { } key)
        {
            return await base.CreateAsync(job, cancellationToken);
        }

        lock (_lock)
        {
            if (_holders.TryGetValue(key, out var holder))
            {
                return holder;
            }
        }

        await Task.Delay(5, cancellationToken); // the window between the check and the write that racers fall into
        var id = await base.CreateAsync(job with { IdempotencyKey = null, IdempotentUntil = null }, cancellationToken);
        lock (_lock)
        {
            _holders.TryAdd(key, id);
        }

        return id;
    }
}
