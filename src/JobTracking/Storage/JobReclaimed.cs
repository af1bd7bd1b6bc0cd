namespace JobTracking.Storage;

/// <summary>A job that <see cref="IJobStore.ReclaimAsync"/> moved: the job as it is now, and the status it was taken from.</summary>
public sealed class JobReclaimed
{
    /// <summary>Gets the job after the move (Interrupted or Cancelled).</summary>
    public required JobRecord Job { get; init; }

    /// <summary>Gets the active status the job had before (Running, Pausing, Cancelling or ShuttingDown).</summary>
    public required JobStatus PreviousStatus { get; init; }

    /// <summary>Gets the instance whose claim was taken, if the job had one.</summary>
    public string? PreviousInstanceId { get; init; }
}
