namespace JobTracking;

/// <summary>What an event tells about.</summary>
public enum JobEventKind
{
    /// <summary>The job moved from <see cref="JobEvent.PreviousStatus"/> to <see cref="JobEvent.Status"/>.</summary>
    StatusChanged = 0,

    /// <summary>The job stored a report: progress, steps and warnings count (throttled by <c>ProgressInterval</c>), without a status change.</summary>
    Progress = 1,

    /// <summary>The job was created, as a draft (Editing) or queued at once (Queued); its version is 1.</summary>
    Created = 2,

    /// <summary>A draft's parameters or display name were changed: its version rose by one, its status is still Editing.</summary>
    DraftEdited = 3,
}

/// <summary>Something that happened to a job, read from the store's change feed: its creation, a status change, a draft edit or progress.</summary>
public sealed record JobEvent
{
    /// <summary>Gets the change's sequence number in the store's change feed: increasing across every job, so a reader can resume after it (<see cref="JobSubscriptionOptions.AfterSequence"/>).</summary>
    public long Sequence { get; init; }

    /// <summary>Gets what the event tells about.</summary>
    public required JobEventKind Kind { get; init; }

    /// <summary>Gets the job's id.</summary>
    public required Guid JobId { get; init; }

    /// <summary>Gets the job's type name.</summary>
    public required string TypeName { get; init; }

    /// <summary>Gets the job's display name.</summary>
    public required string DisplayName { get; init; }

    /// <summary>Gets who launched the job, if known.</summary>
    public string? LaunchedBy { get; init; }

    /// <summary>Gets the status before the change; equal to <see cref="Status"/> for a creation, a draft edit or progress.</summary>
    public required JobStatus PreviousStatus { get; init; }

    /// <summary>Gets the status after the change.</summary>
    public required JobStatus Status { get; init; }

    /// <summary>Gets the job's version after the change: per job, events that change it (creation, status change, draft edit) raise it by exactly one.</summary>
    public required long Version { get; init; }

    /// <summary>Gets when it happened.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets the attempt number.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>Gets the error, for a move to Failed.</summary>
    public JobError? Error { get; init; }

    /// <summary>Gets the job's progress as stored with the change.</summary>
    public JobProgress Progress { get; init; }

    /// <summary>Gets the job's warnings count as stored with the change.</summary>
    public int WarningCount { get; init; }

    /// <summary>Gets the instance that holds the job's claim after the change, if any.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Gets, for a creation or a move to Queued, the time before which the job does not run (a delayed start, or a retry's backoff); <see langword="null"/> otherwise or when it may run at once.</summary>
    public DateTimeOffset? RunAfter { get; init; }

    /// <summary>Gets whether this is an automatic retry: the job's run failed and it went from Running back to Queued as attempt <see cref="Attempt"/>, to run not before <see cref="RunAfter"/>.</summary>
    public bool IsRetry => Kind == JobEventKind.StatusChanged && Status == JobStatus.Queued && PreviousStatus == JobStatus.Running;

    /// <summary>Gets whether this is the "job started" flash: the job went from Queued to Running.</summary>
    public bool IsStarted => Kind == JobEventKind.StatusChanged && Status == JobStatus.Running && PreviousStatus == JobStatus.Queued;

    /// <summary>Gets whether this is the "job finished" notification: the job reached Completed, Cancelled or Failed.</summary>
    public bool IsFinished => Kind == JobEventKind.StatusChanged && JobLifecycle.IsFinished(Status);
}
