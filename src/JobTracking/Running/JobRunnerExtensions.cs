namespace JobTracking;

/// <summary>Waiting shortcuts on <see cref="IJobRunner"/>.</summary>
public static class JobRunnerExtensions
{
    private static readonly JobStatus[] Finished = [JobStatus.Completed, JobStatus.Cancelled, JobStatus.Failed];

    /// <summary>Waits until the job has finished: Completed, Cancelled or Failed.</summary>
    /// <param name="runner">The runner.</param>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The finished job.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    public static Task<JobRecord> WaitForCompletionAsync(this IJobRunner runner, Guid jobId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        return runner.WaitForStatusAsync(jobId, Finished, cancellationToken);
    }

    /// <summary>Waits until the job has one status.</summary>
    /// <param name="runner">The runner.</param>
    /// <param name="jobId">The job's id.</param>
    /// <param name="status">The status to wait for.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The job when it has the status.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    public static Task<JobRecord> WaitForStatusAsync(this IJobRunner runner, Guid jobId, JobStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        return runner.WaitForStatusAsync(jobId, [status], cancellationToken);
    }
}
