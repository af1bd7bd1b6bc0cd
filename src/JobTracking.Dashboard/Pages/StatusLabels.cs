namespace JobTracking.Dashboard.Pages;

/// <summary>How a status is shown: the words people use for it, and the class that gives it its colour.</summary>
internal static class StatusLabels
{
    public static string Label(JobStatus status) => status switch
    {
        JobStatus.Editing => "Editing in progress",
        JobStatus.Queued => "Queued",
        JobStatus.Running => "Execution in progress",
        JobStatus.Pausing => "Pause in progress",
        JobStatus.Paused => "Paused",
        JobStatus.Cancelling => "Cancellation in progress",
        JobStatus.Cancelled => "Cancelled",
        JobStatus.Completed => "Finished",
        JobStatus.Failed => "Finished with error",
        JobStatus.ShuttingDown => "Server shutdown in progress",
        JobStatus.Interrupted => "Interrupted",
        _ => status.ToString(),
    };

    /// <summary>The label of a job, which says "Finished with warnings" for a completed job that has some.</summary>
    public static string Label(JobStatus status, int warnings) =>
        status == JobStatus.Completed && warnings > 0 ? "Finished with warnings" : Label(status);

    /// <summary>
    /// A step's status in the same words: a step under way while its job is not running (paused, queued again,
    /// interrupted) says what its job is doing, not "Execution in progress".
    /// </summary>
    public static string Step(JobStepStatus step, JobStatus job) => step switch
    {
        JobStepStatus.Pending => "Not started",
        JobStepStatus.Running => JobLifecycle.IsFinished(job) ? Label(JobStatus.Running) : Label(job),
        JobStepStatus.Completed => Label(JobStatus.Completed),
        JobStepStatus.Failed => Label(JobStatus.Failed),
        JobStepStatus.Cancelled => Label(JobStatus.Cancelled),
        _ => step.ToString(),
    };

    public static string CssClass(JobStatus status, int warnings = 0) =>
        status == JobStatus.Completed && warnings > 0 ? "jt-s-warnings" : "jt-s-" + status.ToString().ToLowerInvariant();
}
