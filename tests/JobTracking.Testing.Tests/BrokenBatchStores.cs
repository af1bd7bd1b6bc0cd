namespace JobTracking.Testing.Tests;

/// <summary>Creates a batch's jobs one at a time, so the jobs before a refused one stay stored.</summary>
internal sealed class CreateManyOneByOne(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        foreach (var job in jobs)
        {
            await Inner.CreateAsync(job, cancellationToken);
        }

        return [.. jobs.Select(j => j.Id)];
    }
}

/// <summary>Creates a batch's jobs in reverse order, so the feed and the queue see them backwards.</summary>
internal sealed class CreateManyReversed(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        return Inner.CreateManyAsync([.. jobs.Reverse()], cancellationToken);
    }
}

/// <summary>Stores only the first of a batch's jobs that share an id, instead of refusing the batch.</summary>
internal sealed class CreateManyDroppingRepeatedIds(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        return Inner.CreateManyAsync([.. jobs.DistinctBy(j => j?.Id)], cancellationToken);
    }
}

/// <summary>Refuses a batch when one of its ids is stored, even when the whole batch is stored identical (sent again after its answer was lost).</summary>
internal sealed class CreateManyRefusingItsOwnBatch(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        foreach (var job in jobs)
        {
            if (job is not null && await ReadInnerAsync(job.Id) is not null)
            {
                throw new ArgumentException($"A job with id '{job.Id}' already exists.", nameof(jobs));
            }
        }

        return await base.CreateManyAsync(jobs, cancellationToken);
    }
}

/// <summary>Stores the jobs of a batch it does not hold yet when it holds the others identical, instead of refusing the batch.</summary>
internal sealed class CreateManyStoringTheMissingOnes(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var missing = new List<JobRecord>();
        foreach (var job in jobs)
        {
            if (job is null || await ReadInnerAsync(job.Id) is not { } stored || !JobStoreArguments.IsIdenticalNewJob(stored, job))
            {
                missing.Add(job!);
            }
        }

        await base.CreateManyAsync(missing.Count == jobs.Count ? jobs : missing, cancellationToken);
        return [.. jobs.Select(j => j.Id)];
    }
}
