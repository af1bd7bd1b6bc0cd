namespace JobTracking.Storage;

/// <summary>One history entry as a store keeps it (<see cref="IJobHistoryStore.ReadHistoryAsync"/>): its number, time and text.</summary>
public sealed class JobHistoryRecord
{
    /// <summary>Gets the entry's position in its job's history, from 1, in the order appended.</summary>
    public required long Sequence { get; init; }

    /// <summary>Gets the entry's time, as appended.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets the entry's text, exactly as appended (<see cref="JobJournalEntry.Text"/>).</summary>
    public required string Text { get; init; }
}
