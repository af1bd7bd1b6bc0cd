namespace JobTracking.Storage;

/// <summary>What the process tracker reads, and retention: the third of a store's four narrow contracts.</summary>
/// <remarks>
/// Lists are newest first by (<see cref="JobRecord.CreatedAt"/>, <see cref="JobRecord.Id"/>), paged by keyset with
/// <see cref="JobPageToken"/>: a next-page token is returned only when another page holds at least one job.
/// </remarks>
public interface IJobQueryStore
{
    /// <summary>Lists jobs, newest first, with filters and keyset paging.</summary>
    /// <param name="query">The filters and the page to read.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page and the token of the next one (<see langword="null"/> on the last page).</returns>
    /// <exception cref="ArgumentException">The query is malformed or its page token is not one this store issued.</exception>
    ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>Counts the jobs by type and status, for a dashboard's header and the queue-depth gauge.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One row per (type, status) pair that has at least one job.</returns>
    ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes up to <paramref name="maxCount"/> finished jobs (Completed, Cancelled, Failed) that ended strictly before <paramref name="endedBefore"/>, with their journals; never an unfinished job.</summary>
    /// <param name="endedBefore">The cut-off time; a job that ended exactly then is kept.</param>
    /// <param name="maxCount">The most jobs to delete in this call, at least 1, so a large purge never holds the store for long.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many jobs were deleted; fewer than <paramref name="maxCount"/> means none is left to delete.</returns>
    ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default);
}
