using JobTracking.Dashboard.Commands;
using JobTracking.Dashboard.Routing;

namespace JobTracking.Dashboard.Pages;

/// <summary>What a bulk command did: how many jobs changed, and each job by name with what happened to it, or why it did not change.</summary>
internal static class BulkResultPage
{
    /// <summary>The page's content, kept (bounded to <see cref="BulkCommand.MaxListed"/> jobs) for the page read after the redirect.</summary>
    public static string Content(DashboardRequest request, BulkResult result, string back)
    {
        var text = request.T;
        var html = new Html();
        html.Raw("<h1>").Text(Title(text, result.Command)).Raw("</h1><p")
            .Attr("class", result.Changed > 0 ? "jt-flash" : "jt-flash jt-flash-none").Raw(" id=\"jt-bulk-summary\" role=\"status\">").Text(result.Summary(text)).Raw("</p>");
        var listed = result.Refused.Concat(result.Outcomes.Where(o => o.Changed)).Take(BulkCommand.MaxListed).ToList();
        if (listed.Count > 0)
        {
            html.Raw("<table class=\"jt-table jt-bulk-result\"><thead><tr>").Cells("th", text["Column.Job"], text["Column.Outcome"]).Raw("</tr></thead><tbody>");
            var done = JobCommands.Done(text, result.Command).TrimEnd('.');
            foreach (var outcome in listed)
            {
                html.Raw("<tr").Attr("data-job-id", outcome.JobId.ToString()).Attr("data-changed", outcome.Changed ? "true" : "false").Raw("><td><a")
                    .Attr("href", request.Base + "/" + outcome.JobId).Raw(">");
                if (outcome.DisplayName is { } name)
                {
                    html.Text(name);
                }
                else
                {
                    html.Raw("<code>").Text(outcome.JobId.ToString()).Raw("</code>");
                }

                html.Raw("</a></td><td>").Text(outcome.Changed ? done : text.Format("Bulk.NotChanged", outcome.ReasonIn(text))).Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        html.Raw("<p><a class=\"jt-button\"").Attr("href", back).Raw(">").Text(text["Bulk.Back"]).Raw("</a></p>");
        return html.ToString();
    }

    /// <summary>"Cancel jobs", "Restart jobs": the result's heading, and the title of the confirmation page.</summary>
    public static string Title(DashboardText text, DashboardCommand command) => text["Bulk.Title." + command];

    /// <summary>The page around kept content, with the counts as they are now.</summary>
    public static string Render(DashboardRequest request, IReadOnlyList<JobCount> counts, string content) =>
        Layout.Page(request, request.T["Bulk.Command"], counts, new Html().Raw(content), "bulk");

    /// <summary>The page for a result that is no longer kept (or was kept by another instance of the app).</summary>
    public static string Gone(DashboardRequest request, IReadOnlyList<JobCount> counts)
    {
        var text = request.T;
        var html = new Html();
        html.Raw("<h1>").Text(text["Bulk.Command"]).Raw("</h1><p class=\"jt-flash jt-flash-none\" id=\"jt-bulk-summary\" role=\"status\">")
            .Text(text.Plural("Bulk.Gone", (int)BulkResults.Lifetime.TotalMinutes))
            .Raw("</p><p><a class=\"jt-button\"").Attr("href", request.Base).Raw(">").Text(text["Bulk.Back"]).Raw("</a></p>");
        return Layout.Page(request, text["Bulk.Command"], counts, html, "bulk");
    }
}
