namespace JobTracking.Dashboard;

/// <summary>
/// Who may see the dashboard and who may act on jobs, and how its pages look. Set with
/// <c>services.AddJobTrackingDashboard(options =&gt; ...)</c>; checked when the host starts.
/// </summary>
/// <remarks>
/// With neither policy set, the dashboard answers local (loopback) requests only, and those may read and act. A user
/// who may read but not act sees no buttons, gets no parameters, checkpoints or stack traces, and gets 403 on commands.
/// </remarks>
public sealed class JobTrackingDashboardOptions
{
    /// <summary>The largest page of jobs, log lines or rejects the dashboard shows.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>
    /// Gets or sets the name of the authorization policy a user must satisfy to see the dashboard and read its JSON API.
    /// Default <see langword="null"/>: local (loopback) requests only.
    /// </summary>
    public string? ReadPolicy { get; set; }

    /// <summary>
    /// Gets or sets the name of the authorization policy a user must also satisfy to pause, resume, cancel and restart
    /// jobs and to see parameters, checkpoints and stack traces. Default <see langword="null"/>: whoever may read may act.
    /// </summary>
    public string? ActPolicy { get; set; }

    /// <summary>Gets or sets the title shown on every page. Default "Process tracker" (in the reader's language: "Suivi des processus" in French).</summary>
    public string Title { get; set; } = DefaultTitle;

    /// <summary>The default <see cref="Title"/>, shown in the reader's language ("Suivi des processus" in French).</summary>
    internal const string DefaultTitle = "Process tracker";

    /// <summary>Gets or sets how many jobs a page of the tracker lists, 1 to <see cref="MaxPageSize"/>. Default 50.</summary>
    public int PageSize { get; set; } = 50;

    /// <summary>Gets or sets the most jobs one bulk command changes (1 to 100,000); the result says when more matched. Default 10,000.</summary>
    public int MaxBulkJobs { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets whether users who may read the dashboard but not act on jobs see a failed job's error type and message
    /// (in the pages, the JSON API and the live stream). Default <see langword="false"/>: error messages often carry what
    /// a reader should not see (a connection string, a file path, a customer's data), so readers see that a job failed,
    /// not why; users the act policy allows (and local users without policies) always see them, stack traces included.
    /// </summary>
    public bool ShowErrorsToReaders { get; set; }
}
