using JobTracking.Dashboard.Commands;
using JobTracking.Dashboard.Routing;

namespace JobTracking.Dashboard.Pages;

/// <summary>What a bulk command did: how many jobs changed, and each one that did not with the reason.</summary>
internal static class BulkResultPage
{
    public static string Render(DashboardRequest request, IReadOnlyList<JobCount> counts, BulkResult result, string back)
    {
        var html = new Html();
        html.Raw("<h1>").Text(JobCommands.Button(result.Command)).Raw(" jobs</h1><p class=\"jt-flash\" id=\"jt-bulk-summary\" role=\"status\">").Text(result.Summary()).Raw("</p>");
        if (result.Refused.Count > 0)
        {
            html.Raw("<table class=\"jt-table\"><thead><tr><th>Job</th><th>Not changed because</th></tr></thead><tbody>");
            foreach (var refusal in result.Refused.Take(1000))
            {
                html.Raw("<tr><td><a").Attr("href", request.Base + "/" + refusal.JobId).Raw("><code>").Text(refusal.JobId.ToString()).Raw("</code></a></td><td>")
                    .Text(refusal.Reason).Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        html.Raw("<p><a class=\"jt-button\"").Attr("href", back).Raw(">Back to the jobs</a></p>");
        return Layout.Page(request, "Bulk command", counts, html, "bulk");
    }
}
