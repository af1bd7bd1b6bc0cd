using JobTracking.Dashboard.Commands;
using JobTracking.Dashboard.Routing;

namespace JobTracking.Dashboard.Pages;

/// <summary>What a bulk command did: how many jobs changed, and each job by name with what happened to it, or why it did not change.</summary>
internal static class BulkResultPage
{
    /// <summary>The page's content, kept (bounded to <see cref="BulkCommand.MaxListed"/> jobs) for the page read after the redirect.</summary>
    public static string Content(DashboardRequest request, BulkResult result, string back)
    {
        var html = new Html();
        html.Raw("<h1>").Text(JobCommands.Button(result.Command)).Raw(" jobs</h1><p")
            .Attr("class", result.Changed > 0 ? "jt-flash" : "jt-flash jt-flash-none").Raw(" id=\"jt-bulk-summary\" role=\"status\">").Text(result.Summary()).Raw("</p>");
        var listed = result.Refused.Concat(result.Outcomes.Where(o => o.Changed)).Take(BulkCommand.MaxListed).ToList();
        if (listed.Count > 0)
        {
            html.Raw("<table class=\"jt-table jt-bulk-result\"><thead><tr><th>Job</th><th>Outcome</th></tr></thead><tbody>");
            var done = JobCommands.Done(result.Command).TrimEnd('.');
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

                html.Raw("</a></td><td>").Text(outcome.Changed ? done : "Not changed: " + outcome.Reason).Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        html.Raw("<p><a class=\"jt-button\"").Attr("href", back).Raw(">Back to the jobs</a></p>");
        return html.ToString();
    }

    /// <summary>The page around kept content, with the counts as they are now.</summary>
    public static string Render(DashboardRequest request, IReadOnlyList<JobCount> counts, string content) =>
        Layout.Page(request, "Bulk command", counts, new Html().Raw(content), "bulk");

    /// <summary>The page for a result that is no longer kept (or was kept by another instance of the app).</summary>
    public static string Gone(DashboardRequest request, IReadOnlyList<JobCount> counts)
    {
        var html = new Html();
        html.Raw("<h1>Bulk command</h1><p class=\"jt-flash jt-flash-none\" id=\"jt-bulk-summary\" role=\"status\">")
            .Text($"This result is no longer available: results are kept for {(int)BulkResults.Lifetime.TotalMinutes} minutes, for the user who ran the command. The command is not run again; the jobs list shows where each job stands.")
            .Raw("</p><p><a class=\"jt-button\"").Attr("href", request.Base).Raw(">Back to the jobs</a></p>");
        return Layout.Page(request, "Bulk command", counts, html, "bulk");
    }
}
