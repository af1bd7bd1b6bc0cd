namespace JobTracking;

/// <summary>What a subscriber does when it reads more slowly than events arrive. Either way the engine never waits for a subscriber.</summary>
public enum JobEventOverflow
{
    /// <summary>Stay live: when the subscriber is more than <see cref="JobSubscriptionOptions.BufferCapacity"/> events behind, it skips to the newest ones and counts the skipped events in <see cref="IJobSubscription.DroppedEvents"/>. For views that only show what is happening now.</summary>
    DropOldest = 0,

    /// <summary>Keep every event: a subscriber that falls behind catches up from the store's change feed, in order. Only what the feed no longer holds is lost (and counted). The default.</summary>
    Wait = 1,
}

/// <summary>Which events a subscriber receives, from where, and what it does when it falls behind.</summary>
public sealed record JobSubscriptionOptions
{
    /// <summary>Gets the one job to follow, or <see langword="null"/> for every job.</summary>
    public Guid? JobId { get; init; }

    /// <summary>Gets the job type to follow, or <see langword="null"/> for every type.</summary>
    public string? TypeName { get; init; }

    /// <summary>Gets the user whose jobs to follow, or <see langword="null"/> for everyone's.</summary>
    public string? LaunchedBy { get; init; }

    /// <summary>Gets the statuses to follow (the new status of a change, or the current status of any other event); empty for all.</summary>
    public IReadOnlyCollection<JobStatus> Statuses { get; init; } = [];

    /// <summary>Gets whether progress events are delivered. Default: <see langword="true"/>.</summary>
    public bool IncludeProgress { get; init; } = true;

    /// <summary>Gets where to start: the events whose <see cref="JobEvent.Sequence"/> is above this, read from the store's change feed; <see langword="null"/> (the default) for the events from now on. Use the last sequence a reader handled to resume it without a gap.</summary>
    public long? AfterSequence { get; init; }

    /// <summary>Gets how many events are read from the feed at a time, 1 to 1,000,000; with <see cref="JobEventOverflow.DropOldest"/>, also how far behind the subscriber may fall before it skips ahead. Default: 1024.</summary>
    public int BufferCapacity { get; init; } = 1024;

    /// <summary>Gets what happens when the subscriber falls behind. Default: <see cref="JobEventOverflow.Wait"/>, which loses nothing the feed holds.</summary>
    public JobEventOverflow Overflow { get; init; } = JobEventOverflow.Wait;

    internal void Validate()
    {
        if (BufferCapacity is < 1 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(BufferCapacity), BufferCapacity, $"JobSubscriptionOptions.BufferCapacity is {BufferCapacity}; it must be between 1 and 1,000,000.");
        }

        if (!Enum.IsDefined(Overflow))
        {
            throw new ArgumentOutOfRangeException(nameof(Overflow), Overflow, $"JobSubscriptionOptions.Overflow is {Overflow}; it must be DropOldest or Wait.");
        }

        if (AfterSequence is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(AfterSequence), AfterSequence, "JobSubscriptionOptions.AfterSequence must be 0 or more.");
        }

        ArgumentNullException.ThrowIfNull(Statuses, nameof(Statuses));
    }

    internal bool Matches(in Storage.JobChange change) =>
        (JobId is not { } id || id == change.JobId)
        && (TypeName is null || string.Equals(TypeName, change.TypeName, StringComparison.Ordinal))
        && (LaunchedBy is null || string.Equals(LaunchedBy, change.LaunchedBy, StringComparison.Ordinal))
        && (change.Kind != JobEventKind.Progress || IncludeProgress)
        && (Statuses.Count == 0 || Statuses.Contains(change.Status));
}
