namespace JobTracking;

/// <summary>Filters and paging for listing jobs, newest first.</summary>
public sealed record JobQuery
{
    /// <summary>The largest page a query may ask for.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Gets the statuses to keep; empty keeps every status.</summary>
    public IReadOnlyCollection<JobStatus> Statuses { get; init; } = [];

    /// <summary>Gets the job type to keep, or <see langword="null"/> for every type.</summary>
    public string? TypeName { get; init; }

    /// <summary>Gets who launched the jobs to keep, or <see langword="null"/> for anyone.</summary>
    public string? LaunchedBy { get; init; }

    /// <summary>Gets the earliest creation time to keep (inclusive), or <see langword="null"/>.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Gets the latest creation time to keep (exclusive), or <see langword="null"/>.</summary>
    public DateTimeOffset? CreatedTo { get; init; }

    /// <summary>Gets text that the display name must contain (case-insensitive), or <see langword="null"/>.</summary>
    public string? Text { get; init; }

    /// <summary>Gets the node whose jobs to keep, or <see langword="null"/> for every node.</summary>
    public string? Node { get; init; }

    /// <summary>Gets the page size, 1 to <see cref="MaxPageSize"/>. Default 50.</summary>
    public int PageSize { get; init; } = 50;

    /// <summary>Gets the token of the page to read, from <see cref="JobPage.NextPageToken"/>; <see langword="null"/> for the first page.</summary>
    public string? PageToken { get; init; }

    /// <summary>Throws when the query is malformed.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The page size is out of range.</exception>
    /// <exception cref="ArgumentException">The date range is reversed.</exception>
    public void Validate()
    {
        if (PageSize is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, $"The page size must be between 1 and {MaxPageSize}.");
        }

        if (CreatedFrom is { } from && CreatedTo is { } to && from > to)
        {
            throw new ArgumentException($"CreatedFrom ({from:O}) is after CreatedTo ({to:O}).", nameof(CreatedFrom));
        }
    }
}

/// <summary>One page of jobs, newest first.</summary>
public sealed class JobPage
{
    /// <summary>Gets the jobs on this page.</summary>
    public required IReadOnlyList<JobRecord> Items { get; init; }

    /// <summary>Gets the token of the next page, or <see langword="null"/> on the last page.</summary>
    public string? NextPageToken { get; init; }
}
