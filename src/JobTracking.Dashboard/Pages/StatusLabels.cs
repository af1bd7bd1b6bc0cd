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

    public static string CssClass(JobStatus status, int warnings = 0) =>
        status == JobStatus.Completed && warnings > 0 ? "jt-s-warnings" : "jt-s-" + status.ToString().ToLowerInvariant();
}
