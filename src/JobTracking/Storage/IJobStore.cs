namespace JobTracking;

/// <summary>Where jobs are kept: the in-memory store by default, or a durable one that several nodes may share.</summary>
/// <remarks>
/// A store owns the queue: queued jobs wait in it until a node claims them. Every status change is a
/// compare-and-set on (status, version), so two racing writers never both win.
/// </remarks>
public interface IJobStore
{
    /// <summary>Gets whether other processes may change the store, so idle nodes must look at it now and then.</summary>
    bool IsShared { get; }

    /// <summary>Stores a new job.</summary>
    /// <param name="job">The job, in status Editing or Queued with version 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the job is stored.</returns>
    /// <exception cref="ArgumentException">A job with the same id exists, or the status is neither Editing nor Queued.</exception>
    ValueTask CreateAsync(JobRecord job, CancellationToken cancellationToken = default);

    /// <summary>Reads one job.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job, or <see langword="null"/> when the store does not hold it.</returns>
    ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>Moves a job to a new status if it still has the expected status and version.</summary>
    /// <param name="transition">The move and the values stored with it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when the move was applied; <see langword="false"/> when the job is missing or has moved on.</returns>
    /// <exception cref="ArgumentException">The lifecycle does not allow the move.</exception>
    ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default);

    /// <summary>Moves up to <see cref="JobClaimRequest.MaxCount"/> queued jobs to Running for a node: highest priority first, then oldest first.</summary>
    /// <remarks>A job whose concurrency key is held by an active job (Running, Pausing, Cancelling, ShuttingDown) is not claimed. Concurrent claimers never get the same job.</remarks>
    /// <param name="request">Who claims, how many, and which types to leave.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The claimed jobs, as they are after the move; empty when none is ready.</returns>
    ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default);

    /// <summary>Stores a running job's checkpoint without changing its status.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the checkpoint is stored.</returns>
    ValueTask SaveCheckpointAsync(Guid jobId, string? checkpoint, CancellationToken cancellationToken = default);

    /// <summary>Stores a job's progress, steps and warnings count without changing its status.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="report">The progress, steps and warnings count.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the report is stored.</returns>
    ValueTask SaveReportAsync(Guid jobId, JobReportUpdate report, CancellationToken cancellationToken = default);

    /// <summary>Appends log lines and rejects, in the given order, numbering each job's log lines and rejects from 1.</summary>
    /// <param name="entries">The entries, possibly of several jobs.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when every entry is stored.</returns>
    ValueTask AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Reads a page of a job's log, in the order written.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="query">The page to read and the lowest level.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page; empty for a job without log lines.</returns>
    /// <exception cref="ArgumentException">The query is malformed.</exception>
    ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default);

    /// <summary>Reads a page of a job's rejects, in the order written.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="query">The page to read.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page; empty for a job without rejects.</returns>
    /// <exception cref="ArgumentException">The query is malformed.</exception>
    ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default);

    /// <summary>Deletes finished jobs (Completed, Cancelled, Failed) that ended before <paramref name="endedBefore"/>, with their journals; never an unfinished job.</summary>
    /// <param name="endedBefore">The cut-off time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many jobs were deleted.</returns>
    ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, CancellationToken cancellationToken = default);

    /// <summary>Replaces a draft's parameters and display name; only a job in status Editing may be changed.</summary>
    /// <param name="jobId">The draft's id.</param>
    /// <param name="expectedVersion">The version the draft must still have.</param>
    /// <param name="parameters">The new parameters, as JSON.</param>
    /// <param name="displayName">The new display name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when the draft was changed; <see langword="false"/> when it is missing, no longer a draft, or has another version.</returns>
    ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default);

    /// <summary>Lists jobs, newest first, with filters and keyset paging.</summary>
    /// <param name="query">The filters and the page to read.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page and the token of the next one.</returns>
    /// <exception cref="ArgumentException">The query is malformed or its page token is not one this store issued.</exception>
    ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default);
}
