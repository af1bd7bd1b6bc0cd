using JobTracking.Dashboard.Pages;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace JobTracking.Dashboard.Queries;

/// <summary>
/// The tracker's filters as they stand in the URL (<c>status</c>, repeatable; <c>type</c>, <c>user</c>, <c>node</c>, <c>from</c>,
/// <c>to</c>, <c>q</c>, <c>size</c> and the page token <c>after</c>), so that any view can be bookmarked. The pages and
/// the JSON API read the same parameters.
/// </summary>
internal sealed class TrackerFilter
{
    private const int MaxTextLength = JobStartOptions.MaxTextLength;

    public IReadOnlyList<JobStatus> Statuses { get; private init; } = [];

    public string? Type { get; private init; }

    public string? User { get; private init; }

    public string? Node { get; private init; }

    public string? From { get; private init; }

    public string? To { get; private init; }

    public DateTimeOffset? CreatedFrom { get; private init; }

    public DateTimeOffset? CreatedTo { get; private init; }

    public string? Text { get; private init; }

    public int PageSize { get; private init; }

    public string? After { get; private init; }

    public bool IsEmpty => Statuses.Count == 0 && Type is null && User is null && Node is null && CreatedFrom is null && CreatedTo is null && Text is null;

    /// <summary>Reads the filters of a query string (or a posted form); throws <see cref="DashboardInputException"/> naming the first wrong parameter.</summary>
    public static TrackerFilter Parse(Func<string, IReadOnlyList<string>> values, int defaultPageSize)
    {
        var statuses = new List<JobStatus>();
        foreach (var value in values("status"))
        {
            if (value.Length == 0)
            {
                continue;
            }

            if (!Enum.TryParse<JobStatus>(value, ignoreCase: true, out var status) || !char.IsLetter(value[0]))
            {
                throw new DashboardInputException(new LocalText("Input.Status", Shorten(value), string.Join(", ", Enum.GetNames<JobStatus>())));
            }

            if (!statuses.Contains(status))
            {
                statuses.Add(status);
            }
        }

        var from = Single(values, "from");
        var to = Single(values, "to");
        var createdFrom = ParseDate("from", from, endOfDay: false);
        var createdTo = ParseDate("to", to, endOfDay: true);
        if (createdFrom is { } f && createdTo is { } t && f > t)
        {
            throw new DashboardInputException(new LocalText("Input.FromAfterTo", from, to));
        }

        var size = defaultPageSize;
        if (Single(values, "size") is { } sizeText
            && (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > JobTrackingDashboardOptions.MaxPageSize))
        {
            throw new DashboardInputException(new LocalText("Input.Size", Shorten(sizeText), JobTrackingDashboardOptions.MaxPageSize));
        }

        return new TrackerFilter
        {
            Statuses = statuses,
            Type = Single(values, "type"),
            User = Single(values, "user"),
            Node = Single(values, "node"),
            From = from,
            To = to,
            CreatedFrom = createdFrom,
            CreatedTo = createdTo,
            Text = Single(values, "q"),
            PageSize = size,
            After = Single(values, "after"),
        };
    }

    public static TrackerFilter FromQuery(IQueryCollection query, int defaultPageSize) =>
        Parse(name => query.TryGetValue(name, out var v) ? v.Where(s => s is not null).Select(s => s!.Trim()).ToList() : [], defaultPageSize);

    public static TrackerFilter FromForm(IFormCollection form, int defaultPageSize) =>
        Parse(name => form.TryGetValue(name, out var v) ? v.Where(s => s is not null).Select(s => s!.Trim()).ToList() : [], defaultPageSize);

    public JobQuery ToQuery(string? pageToken = null, int? pageSize = null) => new()
    {
        Statuses = Statuses,
        TypeName = Type,
        LaunchedBy = User,
        Node = Node,
        CreatedFrom = CreatedFrom,
        CreatedTo = CreatedTo,
        Text = Text,
        PageSize = pageSize ?? PageSize,
        PageToken = pageToken ?? After,
    };

    /// <summary>Whether a job would be listed with these filters (for a job that appears while a page is open).</summary>
    public bool Matches(JobRecord job) =>
        (Statuses.Count == 0 || Statuses.Contains(job.Status))
        && (Type is null || string.Equals(Type, job.TypeName, StringComparison.Ordinal))
        && (User is null || string.Equals(User, job.LaunchedBy, StringComparison.Ordinal))
        && (Node is null || string.Equals(Node, job.Node, StringComparison.Ordinal))
        && (CreatedFrom is not { } from || job.CreatedAt >= from)
        && (CreatedTo is not { } to || job.CreatedAt < to)
        && (Text is null || job.DisplayName.Contains(Text, StringComparison.OrdinalIgnoreCase));

    /// <summary>The filters as a query string (without the page token), starting with <c>?</c>, or empty.</summary>
    public string ToQueryString(bool withPageSize = true, string? after = null, IEnumerable<JobStatus>? statuses = null)
    {
        var query = new StringBuilder();
        foreach (var status in statuses ?? Statuses)
        {
            Add(query, "status", status.ToString());
        }

        Add(query, "type", Type);
        Add(query, "user", User);
        Add(query, "node", Node);
        Add(query, "from", From);
        Add(query, "to", To);
        Add(query, "q", Text);
        if (withPageSize)
        {
            Add(query, "size", PageSize.ToString(CultureInfo.InvariantCulture));
        }

        Add(query, "after", after);
        return query.ToString();
    }

    private static void Add(StringBuilder query, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }

    private static string? Single(Func<string, IReadOnlyList<string>> values, string name)
    {
        var all = values(name).Where(v => v.Length > 0).ToList();
        if (all.Count > 1)
        {
            throw new DashboardInputException(new LocalText("Input.Repeated", name, all.Count));
        }

        if (all.Count == 1 && all[0].Length > MaxTextLength && name != "after")
        {
            throw new DashboardInputException(new LocalText("Input.TooLong", name, all[0].Length, MaxTextLength));
        }

        return all.Count == 1 ? all[0] : null;
    }

    // A day (yyyy-MM-dd, UTC) or an exact time (ISO 8601 with an offset); "to" includes the whole day it names.
    private static DateTimeOffset? ParseDate(string name, string? text, bool endOfDay)
    {
        if (text is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return endOfDay ? start.AddDays(1) : start;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && text.Contains('T', StringComparison.Ordinal))
        {
            return at;
        }

        throw new DashboardInputException(new LocalText("Input.Date", name, Shorten(text)));
    }

    internal static string Shorten(string text) => text.Length > 64 ? text[..64] + "..." : text;
}
