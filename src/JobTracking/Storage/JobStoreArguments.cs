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

    /// <summary>
    /// Tells whether a job the store holds is the new job handed to <see cref="IJobStore.CreateAsync"/> or
    /// <see cref="IJobStore.CreateManyAsync"/>: the create was sent again after an earlier call stored it and its answer
    /// was lost, so the call must succeed without storing or recording anything.
    /// </summary>
    /// <remarks>
    /// Identical means the same id, type name, display name, parameters, launched-by, priority, concurrency key and
    /// idempotency key (text compared ordinally), the same timeout, the same creation, run-after and idempotent-until times to
    /// the microsecond (run-after only while the stored job has version 1), and, while the stored job still has version 1 (it
    /// has not moved since it was created), the same status. A job that has moved since keeps no trace of the status it
    /// was created with, so its status is not compared; a draft edited since differs in its parameters or display name.
    /// </remarks>
    /// <param name="stored">The job the store holds under the new job's id.</param>
    /// <param name="job">The new job.</param>
    /// <returns><see langword="true"/> when the create is the one that stored <paramref name="stored"/>; <see langword="false"/> when it is another job with the same id, which the store refuses.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stored"/> or <paramref name="job"/> is <see langword="null"/>.</exception>
    public static bool IsIdenticalNewJob(JobRecord stored, JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(job);
        return stored.Id == job.Id
            && string.Equals(stored.TypeName, job.TypeName, StringComparison.Ordinal)
            && string.Equals(stored.DisplayName, job.DisplayName, StringComparison.Ordinal)
            && string.Equals(stored.Parameters, job.Parameters, StringComparison.Ordinal)
            && string.Equals(stored.LaunchedBy, job.LaunchedBy, StringComparison.Ordinal)
            && stored.Priority == job.Priority
            && string.Equals(stored.ConcurrencyKey, job.ConcurrencyKey, StringComparison.Ordinal)
            && Math.Abs(stored.CreatedAt.UtcTicks - job.CreatedAt.UtcTicks) < TimeSpan.TicksPerMicrosecond
            && SameTime(stored.IdempotentUntil, job.IdempotentUntil)
            && stored.Timeout == job.Timeout
            && (stored.Version != 1 || (stored.Status == job.Status && SameTime(stored.RunAfter, job.RunAfter)
                && string.Equals(stored.IdempotencyKey, job.IdempotencyKey, StringComparison.Ordinal)));
    }

    private static bool SameTime(DateTimeOffset? a, DateTimeOffset? b) =>
        a is { } x ? b is { } y && Math.Abs(x.UtcTicks - y.UtcTicks) < TimeSpan.TicksPerMicrosecond : b is null;

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

    /// <summary>Checks a heartbeat handed to <see cref="IJobInstanceStore.RecordHeartbeatAsync"/>: an instance id of 1 to <see cref="JobInstanceHeartbeat.MaxTextLength"/> characters, a node name and version of at most that, at least 1 worker and no negative count of running jobs.</summary>
    /// <param name="heartbeat">The heartbeat.</param>
    /// <exception cref="ArgumentNullException"><paramref name="heartbeat"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A value is missing or out of range; the message names it.</exception>
    public static void CheckHeartbeat(JobInstanceHeartbeat heartbeat)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        const int max = JobInstanceHeartbeat.MaxTextLength;
        var error = heartbeat switch
        {
            { InstanceId: null or { Length: 0 } } => "A heartbeat needs an instance id.",
            { InstanceId.Length: > max } => $"An instance id must be at most {max} characters; it has {heartbeat.InstanceId.Length}.",
            { Node: null } => $"The heartbeat of instance '{heartbeat.InstanceId}' needs a node name.",
            { Node.Length: > max } => $"The node name of instance '{heartbeat.InstanceId}' must be at most {max} characters; it has {heartbeat.Node.Length}.",
            { Version: null } => $"The heartbeat of instance '{heartbeat.InstanceId}' needs a version.",
            { Version.Length: > max } => $"The version of instance '{heartbeat.InstanceId}' must be at most {max} characters; it has {heartbeat.Version.Length}.",
            { MaxConcurrency: < 1 } => $"Instance '{heartbeat.InstanceId}' must run at least 1 job at once, not {heartbeat.MaxConcurrency}.",
            { RunningJobs: < 0 } => $"Instance '{heartbeat.InstanceId}' cannot run {heartbeat.RunningJobs} jobs.",
            _ => null,
        };
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(heartbeat));
        }
    }

    /// <summary>Checks a schedule handed to <see cref="IJobScheduleStore.TrySaveScheduleAsync"/>: an id of 1 to <see cref="JobScheduleRecord.MaxIdLength"/> characters, a version of at least 1, and a type name, parameters, cron expression and time zone present.</summary>
    /// <param name="schedule">The schedule.</param>
    /// <exception cref="ArgumentNullException"><paramref name="schedule"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A value is missing or out of range; the message names it.</exception>
    public static void CheckSchedule(JobScheduleRecord schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var error = schedule switch
        {
            { Id: null or { Length: 0 } } => "A schedule needs an id.",
            { Id.Length: > JobScheduleRecord.MaxIdLength } => $"A schedule id must be at most {JobScheduleRecord.MaxIdLength} characters; it has {schedule.Id.Length}.",
            { Version: < 1 } => $"A schedule's version must be at least 1, not {schedule.Version}.",
            { TypeName: null or { Length: 0 } } => $"Schedule '{schedule.Id}' needs a job type name.",
            { Parameters: null } => $"Schedule '{schedule.Id}' needs parameters.",
            { Cron: null or { Length: 0 } } => $"Schedule '{schedule.Id}' needs a cron expression.",
            { TimeZone: null or { Length: 0 } } => $"Schedule '{schedule.Id}' needs a time zone.",
            _ => null,
        };
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(schedule));
        }
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

        if (job.IdempotentUntil is not null && job.IdempotencyKey is null)
        {
            return "A new job's idempotent-until time needs an idempotency key.";
        }

        if (job.IdempotencyKey is { Length: 0 or > JobStartOptions.MaxIdempotencyKeyLength })
        {
            return $"A new job's idempotency key must be 1 to {JobStartOptions.MaxIdempotencyKeyLength} characters; it has {job.IdempotencyKey.Length}.";
        }

        if (job.Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            return $"A new job's timeout must be positive, not {timeout}.";
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
