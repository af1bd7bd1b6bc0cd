using System.Globalization;

namespace JobTracking.Storage;

/// <summary>
/// The keyset cursor of a job listing, for store authors: the (creation time, id) of the last job on a page, newest
/// first. Every store issues and reads the same token, so a page token keeps its meaning whichever store made it.
/// </summary>
public static class JobPageToken
{
    /// <summary>Writes the token of the page that follows <paramref name="last"/>.</summary>
    /// <param name="last">The last job on the current page.</param>
    /// <returns>The token to return as <see cref="JobPage.NextPageToken"/>.</returns>
    public static string Encode(JobRecord last)
    {
        ArgumentNullException.ThrowIfNull(last);
        return string.Create(CultureInfo.InvariantCulture, $"{last.CreatedAt.UtcTicks}_{last.Id:N}");
    }

    /// <summary>Reads a token from <see cref="JobQuery.PageToken"/>.</summary>
    /// <param name="token">The token, or <see langword="null"/> for the first page.</param>
    /// <returns>The creation time (UTC) and id of the last job of the previous page, or <see langword="null"/> for the first page.</returns>
    /// <exception cref="ArgumentException">The token is not one a store issued.</exception>
    public static (DateTimeOffset CreatedAt, Guid Id)? Decode(string? token)
    {
        if (token is null)
        {
            return null;
        }

        var separator = token.IndexOf('_', StringComparison.Ordinal);
        if (separator <= 0
            || !long.TryParse(token.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !Guid.TryParseExact(token.AsSpan(separator + 1), "N", out var id))
        {
            throw new ArgumentException($"The page token '{Truncate(token)}' is malformed; pass the NextPageToken of a previous page.", nameof(token));
        }

        return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
    }

    // Newest first: a negative result means (a) comes before (b) in a listing.
    internal static int Compare(DateTimeOffset aCreated, Guid aId, DateTimeOffset bCreated, Guid bId)
    {
        var byTime = bCreated.UtcTicks.CompareTo(aCreated.UtcTicks);
        return byTime != 0 ? byTime : bId.CompareTo(aId);
    }

    private static string Truncate(string token) => token.Length <= 64 ? token : string.Concat(token.AsSpan(0, 64), "...");
}

/// <summary>The in-process evaluation of a <see cref="JobQuery"/>'s filters.</summary>
internal static class JobQueryFilter
{
    /// <summary>Checks the fields that never change, before a job is read in full.</summary>
    public static bool MayMatch(JobQuery query, string typeName, string? launchedBy, DateTimeOffset createdAt) =>
        (query.TypeName is null || string.Equals(query.TypeName, typeName, StringComparison.Ordinal))
        && (query.LaunchedBy is null || string.Equals(query.LaunchedBy, launchedBy, StringComparison.Ordinal))
        && (query.CreatedTo is not { } to || createdAt < to);

    public static bool Matches(JobQuery query, JobRecord job) =>
        (query.Statuses.Count == 0 || query.Statuses.Contains(job.Status))
        && (query.TypeName is null || string.Equals(query.TypeName, job.TypeName, StringComparison.Ordinal))
        && (query.LaunchedBy is null || string.Equals(query.LaunchedBy, job.LaunchedBy, StringComparison.Ordinal))
        && (query.Node is null || string.Equals(query.Node, job.Node, StringComparison.Ordinal))
        && (query.CreatedFrom is not { } from || job.CreatedAt >= from)
        && (query.CreatedTo is not { } to || job.CreatedAt < to)
        && (query.Text is null || job.DisplayName.Contains(query.Text, StringComparison.OrdinalIgnoreCase));
}
