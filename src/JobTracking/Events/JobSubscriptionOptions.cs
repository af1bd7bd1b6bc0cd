namespace JobTracking;

/// <summary>What a subscriber does when its buffer is full because it reads more slowly than events arrive.</summary>
public enum JobEventOverflow
{
    /// <summary>Drop the oldest buffered event and count it in <see cref="IJobSubscription.DroppedEvents"/>; the engine never waits. The default.</summary>
    DropOldest = 0,

    /// <summary>Make the engine wait for room: no event is lost, but a slow subscriber slows the jobs down.</summary>
    Wait = 1,
}

/// <summary>Which events a subscriber receives and how its buffer behaves.</summary>
public sealed record JobSubscriptionOptions
{
    /// <summary>Gets the one job to follow, or <see langword="null"/> for every job.</summary>
    public Guid? JobId { get; init; }

    /// <summary>Gets the job type to follow, or <see langword="null"/> for every type.</summary>
    public string? TypeName { get; init; }

    /// <summary>Gets the user whose jobs to follow, or <see langword="null"/> for everyone's.</summary>
    public string? LaunchedBy { get; init; }

    /// <summary>Gets the statuses to follow (the new status of a change, or the current status of a progress event); empty for all.</summary>
    public IReadOnlyCollection<JobStatus> Statuses { get; init; } = [];

    /// <summary>Gets whether progress events are delivered. Default: <see langword="true"/>.</summary>
    public bool IncludeProgress { get; init; } = true;

    /// <summary>Gets the buffer size, 1 to 1,000,000. Default: 1024.</summary>
    public int BufferCapacity { get; init; } = 1024;

    /// <summary>Gets what happens when the buffer is full. Default: <see cref="JobEventOverflow.DropOldest"/>.</summary>
    public JobEventOverflow Overflow { get; init; } = JobEventOverflow.DropOldest;

    internal bool Matches(JobEvent e) =>
        (JobId is not { } id || id == e.JobId)
        && (TypeName is null || string.Equals(TypeName, e.TypeName, StringComparison.Ordinal))
        && (LaunchedBy is null || string.Equals(LaunchedBy, e.LaunchedBy, StringComparison.Ordinal))
        && (e.Kind != JobEventKind.Progress || IncludeProgress)
        && (Statuses.Count == 0 || Statuses.Contains(e.Status));
}
