namespace JobTracking.Storage;

/// <summary>The argument checks every store would otherwise repeat; the engine runs them before it calls a store, and a store may run them too.</summary>
public static class JobStoreArguments
{
    /// <summary>Checks a job handed to <see cref="IJobStore.CreateAsync"/>.</summary>
    /// <param name="job">The new job.</param>
    /// <exception cref="ArgumentNullException"><paramref name="job"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The status is neither Editing nor Queued, the version is not 1, or the job has previous attempts.</exception>
    public static void CheckNewJob(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (NewJobError(job) is { } error)
        {
            throw new ArgumentException(error, nameof(job));
        }
    }

    /// <summary>Checks the jobs handed to <see cref="IJobStore.CreateManyAsync"/>: each as <see cref="CheckNewJob"/> does, and no id twice.</summary>
    /// <param name="jobs">The new jobs.</param>
    /// <exception cref="ArgumentNullException"><paramref name="jobs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A job is <see langword="null"/> or invalid, or two jobs share an id; the message names the job by its index and id.</exception>
    public static void CheckNewJobs(IReadOnlyList<JobRecord> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var seen = new Dictionary<Guid, int>(jobs.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i] ?? throw new ArgumentException($"Job {i} of the batch is null.", nameof(jobs));
            if (NewJobError(job) is { } error)
            {
                throw new ArgumentException($"Job {i} of the batch ('{job.Id}'): {error}", nameof(jobs));
            }

            if (!seen.TryAdd(job.Id, i))
            {
                throw new ArgumentException($"Jobs {seen[job.Id]} and {i} of the batch have the same id '{job.Id}'.", nameof(jobs));
            }
        }
    }

    /// <summary>Checks a transition handed to <see cref="IJobStore.TryTransitionAsync"/>.</summary>
    /// <param name="transition">The move.</param>
    /// <exception cref="ArgumentException">The lifecycle does not allow the move.</exception>
    public static void CheckTransition(in JobTransition transition)
    {
        if (!JobLifecycle.CanTransition(transition.FromStatus, transition.ToStatus))
        {
            throw new ArgumentException($"The lifecycle does not allow {transition.FromStatus} -> {transition.ToStatus}.", nameof(transition));
        }
    }

    /// <summary>Checks a claim request handed to <see cref="IJobStore.ClaimAsync"/>.</summary>
    /// <param name="request">The request.</param>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The instance id is empty, the count is below 1, or the lease is shorter than a second.</exception>
    public static void CheckClaim(JobClaimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.InstanceId))
        {
            throw new ArgumentException("A claim needs the claiming instance's id.", nameof(request));
        }

        if (request.MaxCount < 1)
        {
            throw new ArgumentException($"A claim must ask for at least 1 job, not {request.MaxCount}.", nameof(request));
        }

        CheckLease(request.LeaseDuration, nameof(request));
    }

    /// <summary>Checks a renewal handed to <see cref="IJobStore.RenewLeasesAsync"/>.</summary>
    /// <param name="renewal">The renewal.</param>
    /// <exception cref="ArgumentNullException"><paramref name="renewal"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The instance id is empty or the lease is shorter than a second.</exception>
    public static void CheckRenewal(JobLeaseRenewal renewal)
    {
        ArgumentNullException.ThrowIfNull(renewal);
        ArgumentNullException.ThrowIfNull(renewal.Claims, nameof(renewal));
        if (string.IsNullOrWhiteSpace(renewal.InstanceId))
        {
            throw new ArgumentException("A lease renewal needs the instance's id.", nameof(renewal));
        }

        CheckLease(renewal.LeaseDuration, nameof(renewal));
    }

    /// <summary>Checks a reclaim request handed to <see cref="IJobStore.ReclaimAsync"/>.</summary>
    /// <param name="request">The request.</param>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The instance id is empty or the count is below 1.</exception>
    public static void CheckReclaim(JobReclaimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.InstanceId))
        {
            throw new ArgumentException("A reclaim needs the reclaiming instance's id.", nameof(request));
        }

        if (request.MaxCount < 1)
        {
            throw new ArgumentException($"A reclaim must take at least 1 job, not {request.MaxCount}.", nameof(request));
        }
    }

    /// <summary>Checks a progress update handed to <see cref="IJobStore.SaveProgressAsync"/>.</summary>
    /// <param name="update">The update.</param>
    /// <exception cref="ArgumentNullException"><paramref name="update"/> or its report is <see langword="null"/>.</exception>
    public static void CheckProgress(JobProgressUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(update.Report, nameof(update));
    }

    /// <summary>Checks the limit of <see cref="IJobQueryStore.PurgeAsync"/>.</summary>
    /// <param name="maxCount">The most jobs to delete.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is below 1.</exception>
    public static void CheckPurge(int maxCount) => ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);

    private static string? NewJobError(JobRecord job)
    {
        if (job.Status is not (JobStatus.Editing or JobStatus.Queued))
        {
            return $"A new job must be Editing or Queued, not {job.Status}.";
        }

        if (job.Version != 1)
        {
            return $"A new job must have version 1, not {job.Version}.";
        }

        return job.PreviousAttempts switch
        {
            null => "A new job's previous attempts must be an empty list, not null.",
            { Count: > 0 } attempts => $"A new job must have no previous attempts; it has {attempts.Count}.",
            _ => null,
        };
    }

    private static void CheckLease(TimeSpan lease, string parameter)
    {
        if (lease < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"A lease must last at least 1 second, not {lease}.", parameter);
        }
    }
}
