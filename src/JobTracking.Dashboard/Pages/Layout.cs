using JobTracking.Dashboard.Assets;
using JobTracking.Dashboard.Routing;

namespace JobTracking.Dashboard.Pages;

/// <summary>The frame of every page: title, counts per status, the live-updates control, the toasts area.</summary>
internal static class Layout
{
    public static string Page(DashboardRequest request, string title, IReadOnlyList<JobCount> counts, Html main, string kind, Guid? jobId = null, string? query = null)
    {
        var text = request.T;
        var html = new Html();
        html.Raw("<!DOCTYPE html>\n<html").Attr("lang", text.Lang).Raw("><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Raw("<title>").Text(title).Raw(" · ").Text(Title(request)).Raw("</title>")
            .Raw("<link rel=\"stylesheet\"").Attr("href", request.Base + "/assets/" + DashboardAssets.Css.VersionedName).Raw(">")
            .Raw("<script defer").Attr("src", request.Base + "/assets/" + DashboardAssets.Script.VersionedName).Raw("></script>");
        if (request.CanAct)
        {
            html.Raw("<meta name=\"jt-antiforgery\"").Attr("content", request.AntiforgeryToken).Raw(">");
        }

        // The words the script writes (toasts, live state, "N new jobs — show", durations) in the page's language: read
        // from this attribute, as the Content-Security-Policy allows no inline script.
        html.Raw("</head><body").Attr("data-base", request.Base).Attr("data-kind", kind).Attr("data-texts", ScriptTexts.Json(text));
        if (request.FeedPosition is { } position)
        {
            html.Attr("data-feed", position.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (jobId is { } id)
        {
            html.Attr("data-job", id.ToString());
        }

        if (query is not null)
        {
            html.Attr("data-query", query);
        }

        html.Raw("><a class=\"jt-skip\" href=\"#jt-main\">").Text(text["Layout.Skip"]).Raw("</a><header class=\"jt-header\"><a class=\"jt-title\"").Attr("href", request.Base).Raw(">").Text(Title(request)).Raw("</a>")
            .Raw("<a class=\"jt-nav\"").Attr("href", request.Base + "/schedules").Raw(">").Text(text["Schedules.Title"]).Raw("</a>")
            .Raw("<a class=\"jt-nav\"").Attr("href", request.Base + "/instances").Raw(">").Text(text["Instances.Title"]).Raw("</a>");
        Counts(html, request, counts);
        html.Raw("<div class=\"jt-live\"><span id=\"jt-live-state\" class=\"jt-live-state\">").Text(text["Live.NoScript"]).Raw("</span>")
            .Raw("<button type=\"button\" id=\"jt-live-toggle\" class=\"jt-button\" hidden>").Text(text["Live.Pause"]).Raw("</button></div></header>")
            .Raw("<main id=\"jt-main\" tabindex=\"-1\">").Raw(main.ToString()).Raw("</main>")
            // Toasts come and go in bursts; screen readers hear a summary of them from the region after, not each one.
            .Raw("<div id=\"jt-toasts\" class=\"jt-toasts\"></div><div id=\"jt-announce\" class=\"jt-hidden\" role=\"status\" aria-live=\"polite\"></div></body></html>");
        return html.ToString();
    }

    /// <summary>The host's title, or the default one ("Process tracker") in the reader's language.</summary>
    public static string Title(DashboardRequest request) =>
        string.Equals(request.Options.Title, JobTrackingDashboardOptions.DefaultTitle, StringComparison.Ordinal) ? request.T["Layout.Title"] : request.Options.Title;

    public static void Counts(Html html, DashboardRequest request, IReadOnlyList<JobCount> counts)
    {
        var byStatus = new long[Enum.GetValues<JobStatus>().Length];
        foreach (var count in counts)
        {
            byStatus[(int)count.Status] += count.Count;
        }

        var text = request.T;
        html.Raw("<nav id=\"jt-counts\" class=\"jt-counts\"").Attr("aria-label", text["Counts.Label"]).Raw(">")
            .Raw("<a class=\"jt-count\"").Attr("href", request.Base).Raw(">").Text(text["Counts.All"]).Raw(" <b>").Text(byStatus.Sum()).Raw("</b></a>");
        foreach (var status in Enum.GetValues<JobStatus>())
        {
            var n = byStatus[(int)status];
            html.Raw("<a").Attr("class", "jt-count " + StatusLabels.CssClass(status) + (n == 0 ? " jt-zero" : ""))
                .Attr("data-status", status.ToString()).Attr("href", request.Base + "?status=" + status)
                .Raw("><span class=\"jt-dot\" aria-hidden=\"true\"></span>").Text(StatusLabels.Label(text, status)).Raw(" <b>").Text(n).Raw("</b></a>");
        }

        html.Raw("</nav>");
    }

    public static void Flash(Html html, string? message, bool error = false)
    {
        if (message is not null)
        {
            html.Raw("<p").Attr("class", error ? "jt-flash jt-flash-error" : "jt-flash").Raw(" role=\"status\">").Text(message).Raw("</p>");
        }
    }

    public static void AntiforgeryField(Html html, DashboardRequest request) =>
        html.Raw("<input type=\"hidden\" name=\"__RequestVerificationToken\"").Attr("value", request.AntiforgeryToken).Raw(">");
}
