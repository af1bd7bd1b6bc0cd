using JobTracking.Dashboard.Routing;

namespace JobTracking.Dashboard.Pages;

/// <summary>The "last operations" widget: the most recent jobs as an HTML fragment a host puts on its own pages.</summary>
internal static class LastOperationsFragment
{
    public static string Render(DashboardRequest request, IReadOnlyList<JobRecord> jobs)
    {
        var text = request.T;
        var html = new Html();
        html.Raw("<section class=\"jt-last-operations\"").Attr("lang", text.Lang).Raw("><h2>").Text(text["LastOperations.Title"]).Raw("</h2>");
        if (jobs.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">").Text(text["Tracker.Empty"]).Raw("</p>");
        }
        else
        {
            html.Raw("<ul>");
            foreach (var job in jobs)
            {
                html.Raw("<li").Attr("data-job-id", job.Id.ToString()).Raw("><a").Attr("href", request.Base + "/" + job.Id).Raw(">").Text(job.DisplayName).Raw("</a> ");
                Format.Status(html, text, job.Status, job.WarningCount);
                // Said which time it is: a job that has not started shows when it was created, never as its start.
                html.Raw(" <span class=\"jt-when-label\">").Text(text[job.StartedAt is null ? "LastOperations.Created" : "LastOperations.Started"]).Raw("</span> ");
                Format.Time(html, job.StartedAt ?? job.CreatedAt);
                html.Raw("</li>");
            }

            html.Raw("</ul>");
        }

        html.Raw("<p><a").Attr("href", request.Base).Raw(">").Text(text["LastOperations.All"]).Raw("</a></p></section>");
        return html.ToString();
    }
}
