namespace JobTracking.Storage;

/// <summary>What an instance asks of <see cref="IJobStore.ReclaimAsync"/>: the active jobs whose owner is gone, and, with <see cref="Resume"/>, the interrupted jobs to queue again.</summary>
public sealed class JobReclaimRequest
{
    /// <summary>Gets the instance that reclaims; its own live claims are never taken.</summary>
    public required string InstanceId { get; init; }

    /// <summary>Gets when the reclaim happens, by the caller's clock; stored as the end time of jobs moved to Cancelled and as the time of each change.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets the most jobs to reclaim or resume in one call, at least 1.</summary>
    public int MaxCount { get; init; } = 1000;

    /// <summary>Gets whether jobs other instances hold on a lease that has not expired are taken too: set at start-up on a store that one process uses, where every other instance is known to be gone.</summary>
    public bool IncludeLiveLeases { get; init; }

    /// <summary>
    /// Gets whether interrupted jobs are queued again (the engine sets it when <see cref="JobTrackingOptions.ResumeInterruptedJobs"/> is on):
    /// a job taken from Running or ShuttingDown goes on to Queued in the same atomic step, and jobs found Interrupted
    /// (left by an instance that stopped, or by a reclaim without this flag) are queued again too. Each goes back to the
    /// place in the queue it had when it last entered Queued, and a job taken from an active status keeps its
    /// concurrency key until it is queued: no claim ever sees the key free while the job is not back in the queue.
    /// </summary>
    public bool Resume { get; init; }
}
