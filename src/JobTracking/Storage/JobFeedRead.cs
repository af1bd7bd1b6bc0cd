namespace JobTracking.Storage;

/// <summary>What one <see cref="IJobFeedStore.ReadFeedAsync"/> call read, and where the feed starts and ends.</summary>
public readonly record struct JobFeedRead
{
    /// <summary>Gets how many changes were written to the buffer.</summary>
    public required int Count { get; init; }

    /// <summary>Gets the oldest sequence number the feed still holds, or <see cref="LatestSequence"/> + 1 when it holds none. A reader whose last sequence number is below this minus one lost the changes in between.</summary>
    public required long FirstSequence { get; init; }

    /// <summary>Gets the newest sequence number recorded so far, 0 before the first change.</summary>
    public required long LatestSequence { get; init; }
}
