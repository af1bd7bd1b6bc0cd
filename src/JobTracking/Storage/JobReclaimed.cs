namespace JobTracking.Storage;

/// <summary>A job that <see cref="IJobStore.ReclaimAsync"/> moved: the job as it is now, and the status it was taken from.</summary>
public sealed class JobReclaimed
{
    /// <summary>Gets the job after the move: Interrupted, Paused or Cancelled, or Queued when the request asked to <see cref="JobReclaimRequest.Resume"/>.</summary>
    public required JobRecord Job { get; init; }

    /// <summary>Gets the status the job had before: an active one (Running, Pausing, Cancelling or ShuttingDown), or Interrupted for a job the call only queued again.</summary>
    public required JobStatus PreviousStatus { get; init; }

    /// <summary>Gets the instance whose claim was taken, if the job had one.</summary>
    public string? PreviousInstanceId { get; init; }
}
