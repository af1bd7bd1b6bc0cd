using Microsoft.Extensions.Logging;

namespace JobTracking;

/// <summary>One line of a job's log (the Log tab).</summary>
public sealed class JobLogEntry
{
    /// <summary>Gets the line's position in the job's journal, from 1, in the order written.</summary>
    public required long Sequence { get; init; }

    /// <summary>Gets when it was written.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets its level.</summary>
    public required LogLevel Level { get; init; }

    /// <summary>Gets its text (truncated past the configured maximum, with a marker).</summary>
    public required string Message { get; init; }
}

/// <summary>One record a job rejected (the Rejects tab).</summary>
public sealed class JobReject
{
    /// <summary>Gets the reject's position in the job's journal, from 1, in the order written.</summary>
    public required long Sequence { get; init; }

    /// <summary>Gets when it was rejected.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets the record's number in the job's input.</summary>
    public required long RecordNumber { get; init; }

    /// <summary>Gets the record as received (truncated past the configured maximum, with a marker).</summary>
    public required string RawRecord { get; init; }

    /// <summary>Gets why it was rejected.</summary>
    public required string Reason { get; init; }
}

/// <summary>Which page of a job's log or rejects to read, in the order written.</summary>
public sealed record JournalQuery
{
    /// <summary>The largest page a query may ask for.</summary>
    public const int MaxPageSize = 10_000;

    /// <summary>Gets the page size, 1 to <see cref="MaxPageSize"/>. Default 100.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>Gets the token of the page to read, from <see cref="JournalPage{T}.NextPageToken"/>; <see langword="null"/> for the first page.</summary>
    public string? PageToken { get; init; }

    /// <summary>Gets the lowest level of log lines to read. Default <see cref="LogLevel.Trace"/> (all). Ignored for rejects.</summary>
    public LogLevel MinimumLevel { get; init; } = LogLevel.Trace;

    /// <summary>Throws when the query is malformed.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The page size is out of range.</exception>
    /// <exception cref="ArgumentException">The page token is malformed.</exception>
    /// <returns>The sequence number after which the page starts.</returns>
    public long Validate()
    {
        if (PageSize is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, $"The page size must be between 1 and {MaxPageSize}.");
        }

        if (PageToken is null)
        {
            return 0;
        }

        if (!long.TryParse(PageToken, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var after) || after < 1)
        {
            throw new ArgumentException($"The page token '{(PageToken.Length > 64 ? PageToken[..64] + "..." : PageToken)}' is malformed; pass the NextPageToken of a previous page.", nameof(PageToken));
        }

        return after;
    }
}

/// <summary>One page of a job's log or rejects, in the order written.</summary>
/// <typeparam name="T">A log line or a reject.</typeparam>
public sealed class JournalPage<T>
{
    /// <summary>Gets the entries on this page.</summary>
    public required IReadOnlyList<T> Items { get; init; }

    /// <summary>Gets the token of the next page, or <see langword="null"/> on the last page.</summary>
    public string? NextPageToken { get; init; }
}

/// <summary>The status of one step of a job.</summary>
public enum JobStepStatus
{
    /// <summary>Declared, not started.</summary>
    Pending = 0,

    /// <summary>Started and not ended (also while its job is paused).</summary>
    Running = 1,

    /// <summary>Ended normally.</summary>
    Completed = 2,

    /// <summary>Its job failed while it ran.</summary>
    Failed = 3,

    /// <summary>Its job was cancelled while it ran.</summary>
    Cancelled = 4,
}

/// <summary>One step of a job's report (e.g. "read file", "validate", "write") with its counters.</summary>
public sealed record JobStep
{
    /// <summary>Gets the step's name.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the step's status.</summary>
    public JobStepStatus Status { get; init; }

    /// <summary>Gets when the step started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Gets when the step ended.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Gets the records read.</summary>
    public long Read { get; init; }

    /// <summary>Gets the records written.</summary>
    public long Written { get; init; }

    /// <summary>Gets the records skipped.</summary>
    public long Skipped { get; init; }

    /// <summary>Gets the warnings raised in this step.</summary>
    public long Warnings { get; init; }

    /// <summary>Gets how long the step took, once it has ended.</summary>
    public TimeSpan? Duration => StartedAt is { } start && EndedAt is { } end ? end - start : null;
}
