namespace JobTracking.Control;

/// <summary>Thrown at a safe point to unwind a job that is pausing or whose host is stopping; the engine stores its checkpoint.</summary>
internal sealed class JobSuspendedException : OperationCanceledException
{
    public JobSuspendedException(Guid jobId)
        : base($"Job '{jobId}' is suspended at a safe point (pause or host shutdown).")
    {
    }
}
