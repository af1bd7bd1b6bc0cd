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
}
