using System.Globalization;

namespace JobTracking.Sqlite.Storage;

/// <summary>The status sets the SQL tests against, as <c>IN</c> lists built once from <see cref="JobLifecycle"/>, so they cannot drift from it.</summary>
internal static class SqliteStatuses
{
    /// <summary>Gets how many statuses there are.</summary>
    public static int Count { get; } = Enum.GetValues<JobStatus>().Length;

    /// <summary>Gets the statuses in which a worker holds the job, and its concurrency key: <c>(2, 3, 5, 9)</c> today.</summary>
    public static string Active { get; } = InList(JobLifecycle.IsActive);

    /// <summary>Gets the active statuses and Interrupted: the jobs a reclaim that resumes looks at.</summary>
    public static string ActiveOrInterrupted { get; } = InList(s => JobLifecycle.IsActive(s) || s == JobStatus.Interrupted);

    /// <summary>Gets the statuses of a job whose run has ended: Completed, Cancelled and Failed.</summary>
    public static string Finished { get; } = InList(JobLifecycle.IsFinished);

    private static string InList(Func<JobStatus, bool> member) =>
        "(" + string.Join(", ", Enum.GetValues<JobStatus>().Where(member).Select(s => ((int)s).ToString(CultureInfo.InvariantCulture))) + ")";
}
