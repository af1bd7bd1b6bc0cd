using Cronos;

namespace JobTracking.Schedules;

/// <summary>A schedule's cron expression read in its time zone: every occurrence is computed here, by Cronos, never by hand.</summary>
/// <remarks>
/// Occurrences are computed from an instant (the last occurrence dealt with, in UTC), never from a local time, so an hour
/// that a fall-back repeats is not mistaken for its twin (Cronos issue #71). Cronos's daylight saving rules apply: a time
/// that spring-forward skips moves to the next valid time (02:30 becomes 03:00), and in the hour fall-back repeats a
/// fixed-time expression fires once, an interval expression (a <c>*</c>, range or step in its second, minute or hour field)
/// in both hours.
/// </remarks>
internal sealed class CronSchedule
{
    private CronSchedule(string cron, CronExpression expression, TimeZoneInfo zone)
    {
        Cron = cron;
        Expression = expression;
        Zone = zone;
    }

    public string Cron { get; }

    public CronExpression Expression { get; }

    public TimeZoneInfo Zone { get; }

    /// <summary>Parses an expression of five fields (minute first), or six (second first), and finds its time zone.</summary>
    /// <exception cref="ArgumentException">The expression is invalid (Cronos's message), or the time zone is unknown.</exception>
    public static CronSchedule Parse(string cron, string timeZone)
    {
        ArgumentNullException.ThrowIfNull(cron);
        ArgumentNullException.ThrowIfNull(timeZone);
        var format = cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(cron, format);
        }
        catch (CronFormatException ex)
        {
            throw new ArgumentException($"The cron expression '{cron}' is invalid: {ex.Message} Give five fields (minute hour day-of-month month day-of-week) or six (with seconds first).", nameof(cron), ex);
        }

        return new CronSchedule(cron, expression, FindZone(timeZone));
    }

    /// <summary>Finds a time zone by its IANA id (or Windows id).</summary>
    /// <exception cref="ArgumentException">No time zone has the id.</exception>
    public static TimeZoneInfo FindZone(string timeZone)
    {
        if (string.IsNullOrWhiteSpace(timeZone))
        {
            throw new ArgumentException("A schedule's time zone must be an IANA id such as \"Europe/Paris\" or \"UTC\", not blank.", nameof(timeZone));
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"The time zone '{timeZone}' is unknown on this machine: give an IANA id such as \"Europe/Paris\", \"America/New_York\" or \"UTC\".", nameof(timeZone), ex);
        }
    }

    /// <summary>Gets the first occurrence strictly after <paramref name="after"/>, in UTC; <see langword="null"/> when the expression has no more.</summary>
    public DateTimeOffset? Next(DateTimeOffset after) =>
        Expression.GetNextOccurrence(after.ToUniversalTime(), Zone, inclusive: false)?.ToUniversalTime();

    /// <summary>Gets the latest occurrence at or before <paramref name="now"/> among those from <paramref name="first"/> on, walking forward from it; <see langword="null"/> when <paramref name="first"/> is later than <paramref name="now"/>.</summary>
    /// <remarks>Walking from a stored occurrence keeps the repeated hour right. A schedule missed for very long (more
    /// than <paramref name="maxSteps"/> occurrences) jumps to Cronos's previous occurrence before <paramref name="now"/> instead.</remarks>
    public DateTimeOffset? LatestDue(DateTimeOffset first, DateTimeOffset now, int maxSteps = 100_000)
    {
        if (first > now)
        {
            return null;
        }

        var latest = first;
        for (var step = 0; step < maxSteps; step++)
        {
            if (Next(latest) is not { } next || next > now)
            {
                return latest;
            }

            latest = next;
        }

        var previous = Expression.GetPreviousOccurrence(now.ToUniversalTime(), Zone, inclusive: true)?.ToUniversalTime();
        return previous is { } p && p > latest ? p : latest;
    }
}
