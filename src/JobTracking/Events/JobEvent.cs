namespace JobTracking;

/// <summary>What an event tells about.</summary>
public enum JobEventKind
{
    /// <summary>The job moved from <see cref="JobEvent.PreviousStatus"/> to <see cref="JobEvent.Status"/>.</summary>
    StatusChanged = 0,

    /// <summary>The job reported progress (throttled).</summary>
    Progress = 1,
}

/// <summary>Something that happened to a job: a status change or progress.</summary>
public sealed record JobEvent
{
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

    /// <summary>Gets the status before the change; equal to <see cref="Status"/> for progress events.</summary>
    public required JobStatus PreviousStatus { get; init; }

    /// <summary>Gets the status after the change.</summary>
    public required JobStatus Status { get; init; }

    /// <summary>Gets the job's version after the change.</summary>
    public required long Version { get; init; }

    /// <summary>Gets when it happened.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets the attempt number.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>Gets the error, for a move to Failed.</summary>
    public JobError? Error { get; init; }

    /// <summary>Gets the job's progress, when known.</summary>
    public JobProgress Progress { get; init; }

    /// <summary>Gets the job's warnings count, when known.</summary>
    public int WarningCount { get; init; }

    /// <summary>Gets whether this is the "job started" flash: the job went from Queued to Running.</summary>
    public bool IsStarted => Kind == JobEventKind.StatusChanged && Status == JobStatus.Running && PreviousStatus == JobStatus.Queued;

    /// <summary>Gets whether this is the "job finished" notification: the job reached Completed, Cancelled or Failed.</summary>
    public bool IsFinished => Kind == JobEventKind.StatusChanged && JobLifecycle.IsFinished(Status);
}
