using Microsoft.Extensions.Logging;

namespace JobTracking.Storage;

/// <summary>One entry a job appends to its journal, as handed to <see cref="IJobJournalStore.AppendJournalAsync"/>; the store numbers them in order.</summary>
public sealed class JobJournalEntry
{
    /// <summary>Gets the job that wrote the entry.</summary>
    public required Guid JobId { get; init; }

    /// <summary>Gets the claim of the run that wrote the entry: the store keeps the entry only while it is the job's current claim. <see langword="null"/> for an entry written outside a run.</summary>
    public Guid? ClaimId { get; init; }

    /// <summary>Gets whether this is a log line, a reject or a history entry.</summary>
    public required JobJournalKind Kind { get; init; }

    /// <summary>Gets when the entry was written.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets the level of a log line (<see cref="LogLevel.Warning"/> for a reject).</summary>
    public LogLevel Level { get; init; }

    /// <summary>Gets the message of a log line, the raw record of a reject (truncated past the configured maximum), or the details of a history entry (a JSON object the engine writes and reads; the store keeps it as text).</summary>
    public required string Text { get; init; }

    /// <summary>Gets the record number of a reject (0 for a log line).</summary>
    public long RecordNumber { get; init; }

    /// <summary>Gets why a record was rejected (<see langword="null"/> for a log line).</summary>
    public string? Reason { get; init; }
}
