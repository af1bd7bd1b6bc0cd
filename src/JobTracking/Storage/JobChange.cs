namespace JobTracking.Storage;

/// <summary>One change in a store's change feed (<see cref="IJobFeedStore"/>), with the values stored with it.</summary>
public readonly record struct JobChange
{
    /// <summary>Gets the change's sequence number in the feed.</summary>
    public required long Sequence { get; init; }

    /// <summary>Gets what changed: <see cref="JobEventKind.Created"/>, <see cref="JobEventKind.StatusChanged"/>, <see cref="JobEventKind.DraftEdited"/> or <see cref="JobEventKind.Progress"/>.</summary>
    public required JobEventKind Kind { get; init; }

    /// <summary>Gets the job's id.</summary>
    public required Guid JobId { get; init; }

    /// <summary>Gets the job's type name.</summary>
    public required string TypeName { get; init; }

    /// <summary>Gets the job's display name after the change.</summary>
    public required string DisplayName { get; init; }

    /// <summary>Gets who launched the job, if known.</summary>
    public string? LaunchedBy { get; init; }

    /// <summary>Gets the status before the change; equal to <see cref="Status"/> for a creation, a draft edit or a report.</summary>
    public required JobStatus PreviousStatus { get; init; }

    /// <summary>Gets the status after the change.</summary>
    public required JobStatus Status { get; init; }

    /// <summary>Gets the job's version after the change (a report does not change it).</summary>
    public required long Version { get; init; }

    /// <summary>Gets the attempt number after the change.</summary>
    public required int Attempt { get; init; }

    /// <summary>Gets when the change was made: the transition's time, the creation time, or the store's clock for a report or a draft edit.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets the job's progress after the change.</summary>
    public JobProgress Progress { get; init; }

    /// <summary>Gets the job's warnings count after the change.</summary>
    public int WarningCount { get; init; }

    /// <summary>Gets the error, for a move to Failed.</summary>
    public JobError? Error { get; init; }

    /// <summary>Gets the instance that holds the job's claim after the change, if any.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Gets the job's <see cref="JobRecord.RunAfter"/> after a creation or a move to Queued (so every instance can wake when the job comes due); <see langword="null"/> otherwise, or when it may run at once.</summary>
    public DateTimeOffset? RunAfter { get; init; }
}
