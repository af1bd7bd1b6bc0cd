namespace JobTracking.Testing.Tests;

/// <summary>Creates a batch's jobs one at a time, so the jobs before a refused one stay stored.</summary>
internal sealed class CreateManyOneByOne(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        foreach (var job in jobs)
        {
            await Inner.CreateAsync(job, cancellationToken);
        }
    }
}

/// <summary>Creates a batch's jobs in reverse order, so the feed and the queue see them backwards.</summary>
internal sealed class CreateManyReversed(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        return Inner.CreateManyAsync([.. jobs.Reverse()], cancellationToken);
    }
}

/// <summary>Stores only the first of a batch's jobs that share an id, instead of refusing the batch.</summary>
internal sealed class CreateManyDroppingRepeatedIds(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        return Inner.CreateManyAsync([.. jobs.DistinctBy(j => j?.Id)], cancellationToken);
    }
}
