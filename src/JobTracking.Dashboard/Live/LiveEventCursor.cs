using System.Globalization;
using JobTracking.Dashboard.Queries;
using Microsoft.AspNetCore.Http;

namespace JobTracking.Dashboard.Live;

/// <summary>
/// Where a reconnecting reader of the live stream left off: the <c>Last-Event-ID</c> header that browsers send when
/// an <c>EventSource</c> reconnects (or <c>lastEventId</c> in the query, for a reader that cannot set headers), and the
/// <c>id:</c> written with each event: the event's sequence in the store's change feed. The only place that knows how
/// event ids map onto the feed.
/// </summary>
internal static class LiveEventCursor
{
    /// <summary>Reads the position to resume from; throws <see cref="DashboardInputException"/> when it is not one.</summary>
    public static long? Read(HttpRequest request)
    {
        var text = request.Headers["Last-Event-ID"].ToString();
        if (text.Length == 0)
        {
            text = request.Query["lastEventId"].ToString();
        }

        if (text.Length == 0)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            throw new DashboardInputException($"Last-Event-ID: '{TrackerFilter.Shorten(text)}' is not an event id of this stream.");
        }

        return position;
    }

    /// <summary>
    /// The subscription that resumes after <paramref name="position"/>: the events whose change-feed sequence is above
    /// it, caught up from the store's feed, so a reader that reconnects misses nothing the feed still holds.
    /// </summary>
    public static JobSubscriptionOptions ResumeAfter(JobSubscriptionOptions options, long? position) =>
        position is { } after ? options with { AfterSequence = after } : options;

    /// <summary>The <c>id:</c> of an event: its sequence in the store's change feed.</summary>
    public static string? IdOf(JobEvent jobEvent) =>
        jobEvent.Sequence > 0 ? jobEvent.Sequence.ToString(CultureInfo.InvariantCulture) : null;
}
