namespace JobTracking;

/// <summary>The transition table: which status may follow which. The one place where the lifecycle is defined.</summary>
public static class JobLifecycle
{
    private const int StatusCount = 11;

    // One bit per allowed target status, indexed by the source status: a lookup without allocation or branching on the hot path.
    private static readonly ushort[] Allowed = BuildTable();

    /// <summary>Tells whether a job may move from <paramref name="from"/> to <paramref name="to"/>.</summary>
    /// <param name="from">The current status.</param>
    /// <param name="to">The requested status.</param>
    /// <returns><see langword="true"/> when the transition table allows it.</returns>
    public static bool CanTransition(JobStatus from, JobStatus to)
    {
        var f = (uint)from;
        var t = (uint)to;
        return f < StatusCount && t < StatusCount && (Allowed[f] & (1 << (int)t)) != 0;
    }

    /// <summary>Tells whether a status is final: Completed or Cancelled, which nothing follows.</summary>
    /// <param name="status">The status to test.</param>
    /// <returns><see langword="true"/> for Completed and Cancelled.</returns>
    public static bool IsTerminal(JobStatus status) => status is JobStatus.Completed or JobStatus.Cancelled;

    /// <summary>Tells whether a job in this status has ended its run: Completed, Cancelled or Failed.</summary>
    /// <param name="status">The status to test.</param>
    /// <returns><see langword="true"/> for Completed, Cancelled and Failed.</returns>
    public static bool IsFinished(JobStatus status) => status is JobStatus.Completed or JobStatus.Cancelled or JobStatus.Failed;

    /// <summary>Tells whether a worker holds the job: Running, Pausing, Cancelling or ShuttingDown.</summary>
    /// <param name="status">The status to test.</param>
    /// <returns><see langword="true"/> while a worker is executing the job.</returns>
    public static bool IsActive(JobStatus status) =>
        status is JobStatus.Running or JobStatus.Pausing or JobStatus.Cancelling or JobStatus.ShuttingDown;

    /// <summary>Lists the statuses that may follow <paramref name="from"/>.</summary>
    /// <param name="from">The current status.</param>
    /// <returns>The allowed next statuses, empty for a terminal status.</returns>
    public static IReadOnlyList<JobStatus> NextStatuses(JobStatus from)
    {
        var next = new List<JobStatus>();
        for (var to = 0; to < StatusCount; to++)
        {
            if (CanTransition(from, (JobStatus)to))
            {
                next.Add((JobStatus)to);
            }
        }

        return next;
    }

    private static ushort[] BuildTable()
    {
        var table = new ushort[StatusCount];
        Allow(table, JobStatus.Editing, JobStatus.Queued, JobStatus.Cancelled);
        Allow(table, JobStatus.Queued, JobStatus.Queued, JobStatus.Running, JobStatus.Paused, JobStatus.Cancelled);
        Allow(table, JobStatus.Running, JobStatus.Queued, JobStatus.Pausing, JobStatus.Cancelling, JobStatus.ShuttingDown, JobStatus.Completed, JobStatus.Failed, JobStatus.Interrupted);
        Allow(table, JobStatus.Pausing, JobStatus.Paused, JobStatus.Running, JobStatus.Cancelling, JobStatus.ShuttingDown, JobStatus.Completed, JobStatus.Failed, JobStatus.Interrupted);
        Allow(table, JobStatus.Paused, JobStatus.Queued, JobStatus.Cancelled);
        Allow(table, JobStatus.Cancelling, JobStatus.Cancelled, JobStatus.Completed, JobStatus.Failed);
        Allow(table, JobStatus.ShuttingDown, JobStatus.Interrupted, JobStatus.Completed, JobStatus.Failed);
        Allow(table, JobStatus.Interrupted, JobStatus.Queued, JobStatus.Cancelled);
        Allow(table, JobStatus.Failed, JobStatus.Queued);
        return table;
    }

    private static void Allow(ushort[] table, JobStatus from, params JobStatus[] to)
    {
        foreach (var status in to)
        {
            table[(int)from] |= (ushort)(1 << (int)status);
        }
    }
}
