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
        if (job.Status is not (JobStatus.Editing or JobStatus.Queued))
        {
            throw new ArgumentException($"A new job must be Editing or Queued, not {job.Status}.", nameof(job));
        }

        if (job.Version != 1)
        {
            throw new ArgumentException($"A new job must have version 1, not {job.Version}.", nameof(job));
        }

        if (job.PreviousAttempts is not { Count: 0 })
        {
            throw new ArgumentException(
                job.PreviousAttempts is null
                    ? "A new job's previous attempts must be an empty list, not null."
                    : $"A new job must have no previous attempts; it has {job.PreviousAttempts.Count}.",
                nameof(job));
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

    private static void CheckLease(TimeSpan lease, string parameter)
    {
        if (lease < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"A lease must last at least 1 second, not {lease}.", parameter);
        }
    }
}
