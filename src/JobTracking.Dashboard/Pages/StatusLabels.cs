namespace JobTracking.Dashboard.Pages;

/// <summary>
/// How a status is shown: the words people use for it (Adobe Campaign's, in English and French: "Execution in
/// progress", "En cours d'exécution"), and the class that gives it its colour. Without a <see cref="DashboardText"/>,
/// in English: the JSON API's and the logs' words.
/// </summary>
internal static class StatusLabels
{
    public static string Label(JobStatus status) => Label(DashboardText.Invariant, status);

    public static string Label(JobStatus status, int warnings) => Label(DashboardText.Invariant, status, warnings);

    public static string Label(DashboardText text, JobStatus status) =>
        Enum.IsDefined(status) ? text["Status." + status] : status.ToString();

    /// <summary>The label of a job, which says "Finished with warnings" for a completed job that has some.</summary>
    public static string Label(DashboardText text, JobStatus status, int warnings) =>
        status == JobStatus.Completed && warnings > 0 ? text["Status.CompletedWithWarnings"] : Label(text, status);

    /// <summary>
    /// A step's status in the same words: a step under way while its job is not running (paused, queued again,
    /// interrupted) says what its job is doing, not "Execution in progress".
    /// </summary>
    public static string Step(DashboardText text, JobStepStatus step, JobStatus job) => step switch
    {
        JobStepStatus.Pending => text["Step.Pending"],
        JobStepStatus.Running => JobLifecycle.IsFinished(job) ? Label(text, JobStatus.Running) : Label(text, job),
        JobStepStatus.Completed => Label(text, JobStatus.Completed),
        JobStepStatus.Failed => Label(text, JobStatus.Failed),
        JobStepStatus.Cancelled => Label(text, JobStatus.Cancelled),
        _ => step.ToString(),
    };

    public static string CssClass(JobStatus status, int warnings = 0) =>
        status == JobStatus.Completed && warnings > 0 ? "jt-s-warnings" : "jt-s-" + status.ToString().ToLowerInvariant();
}
