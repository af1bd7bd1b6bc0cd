namespace JobTracking.Storage;

/// <summary>What an instance asks of <see cref="IJobStore.ReclaimAsync"/>: the active jobs whose owner is gone.</summary>
public sealed class JobReclaimRequest
{
    /// <summary>Gets the instance that reclaims; its own live claims are never taken.</summary>
    public required string InstanceId { get; init; }

    /// <summary>Gets when the reclaim happens, by the caller's clock; stored as the end time of jobs moved to Cancelled.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets the most jobs to reclaim in one call, at least 1.</summary>
    public int MaxCount { get; init; } = 1000;

    /// <summary>Gets whether jobs other instances hold on a lease that has not expired are taken too: set at start-up on a store that one process uses, where every other instance is known to be gone.</summary>
    public bool IncludeLiveLeases { get; init; }
}
