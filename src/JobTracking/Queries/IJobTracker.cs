namespace JobTracking;

/// <summary>The process tracker: every job, its status and report, newest first.</summary>
public interface IJobTracker
{
    /// <summary>Reads one job.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    ValueTask<JobRecord> GetAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>Lists jobs, newest first, with filters and keyset paging.</summary>
    /// <param name="query">Filters and the page to read.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One page and the token of the next.</returns>
    /// <exception cref="ArgumentException">The page size is out of range or the page token is malformed.</exception>
    ValueTask<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>Lists the most recent jobs, for a "last operations" widget.</summary>
    /// <param name="count">How many, 1 to <see cref="JobQuery.MaxPageSize"/>.</param>
    /// <param name="launchedBy">Only this user's jobs, or <see langword="null"/> for everyone's.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The jobs, newest first.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The count is out of range.</exception>
    ValueTask<IReadOnlyList<JobRecord>> LastOperationsAsync(int count = 10, string? launchedBy = null, CancellationToken cancellationToken = default);

    /// <summary>Reads a page of a job's log (the Log tab), in the order written.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="query">The page and lowest level; <see langword="null"/> for the first 100 lines.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page and the token of the next.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="ArgumentException">The page size is out of range or the page token is malformed.</exception>
    ValueTask<JournalPage<JobLogEntry>> GetLogAsync(Guid jobId, JournalQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>Reads a page of a job's rejects (the Rejects tab), in the order written.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="query">The page; <see langword="null"/> for the first 100 rejects.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page and the token of the next.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="ArgumentException">The page size is out of range or the page token is malformed.</exception>
    ValueTask<JournalPage<JobReject>> GetRejectsAsync(Guid jobId, JournalQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>Reads a job's history, oldest first: its creation, each attempt's start and end, and every command (with who issued it and why), reclaim and retry recorded since it was created.</summary>
    /// <remarks>
    /// The creation and the attempts come from the job itself; commands, reclaims and retries are history entries of its
    /// journal, written once their change is stored (a host that stops in between loses the entry, never the change), and
    /// purged with the job. A store that keeps no history (one that does not implement <c>IJobHistoryStore</c>) gives the
    /// creation and the attempts only. Entries this host wrote are stored before the read.
    /// </remarks>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries, ordered by time; at one time, the creation and the attempts come before commands.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    ValueTask<IReadOnlyList<JobHistoryEntry>> GetHistoryAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>Writes all of a job's rejects as CSV (RFC 4180: a header, then one record per reject; fields with commas, quotes or line breaks are quoted).</summary>
    /// <remarks>
    /// Against CSV injection, a reason or raw record that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a
    /// carriage return is written with a single quote (<c>'</c>) in front, as OWASP advises, so a spreadsheet shows it as
    /// text instead of running it as a formula. The stored rejects (<see cref="GetRejectsAsync"/>) are unchanged.
    /// </remarks>
    /// <param name="jobId">The job's id.</param>
    /// <param name="writer">Where to write; not closed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of rejects written.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    Task<long> ExportRejectsCsvAsync(Guid jobId, TextWriter writer, CancellationToken cancellationToken = default);

    /// <summary>Gets the job types registered with this host, ordered by type name, each with its retry policy and timeout (to show "attempt 2 of 4").</summary>
    IReadOnlyList<JobTypeInfo> JobTypes { get; }

    /// <summary>Counts the jobs by type and status, for a header with counts per status.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One row per (type, status) pair that has at least one job.</returns>
    ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists the instances sharing the store (Hangfire's "servers"), by node name then instance id: each one's version, start, last heartbeat, workers and running jobs, and whether it still answers.</summary>
    /// <remarks>
    /// Every instance records a heartbeat at each <see cref="JobTrackingOptions.HeartbeatInterval"/> and takes itself off
    /// the list when it stops cleanly. One whose last heartbeat is more than three <see cref="JobTrackingOptions.LeaseDuration"/>s
    /// old, by the store's clock, is listed as not answering until <see cref="JobTrackingOptions.ForgetInstancesAfter"/>, then
    /// forgotten by the live instances.
    /// </remarks>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The instances; this one among them once it has started.</returns>
    /// <exception cref="JobTrackingException">The store keeps no list of instances (it does not implement <c>IJobInstanceStore</c>).</exception>
    ValueTask<IReadOnlyList<JobInstanceInfo>> GetInstancesAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes finished jobs (Completed, Cancelled, Failed) that ended before a time, with their log and rejects; running, queued and paused jobs are never deleted.</summary>
    /// <param name="endedBefore">The cut-off time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many jobs were deleted.</returns>
    ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, CancellationToken cancellationToken = default);
}
