using JobTracking.Dashboard.Routing;
using Microsoft.AspNetCore.Http;

namespace JobTracking.Dashboard.Pages;

/// <summary>
/// The confirmation asked before a command when the page's script did not ask it (no JavaScript): the question, and the
/// same form again with <c>confirmed=yes</c>.
/// </summary>
internal static class ConfirmPage
{
    public static string Render(DashboardRequest request, IReadOnlyList<JobCount> counts, string title, string question, IFormCollection form, string back)
    {
        var html = new Html();
        html.Raw("<h1>").Text(title).Raw("</h1><p class=\"jt-question\">").Text(question).Raw("</p><form method=\"post\" class=\"jt-confirm\"")
            .Attr("action", request.Http.Request.PathBase + request.Http.Request.Path).Raw(">");
        Layout.AntiforgeryField(html, request);
        foreach (var (name, values) in form)
        {
            if (name is "__RequestVerificationToken" or "confirmed")
            {
                continue;
            }

            foreach (var value in values)
            {
                html.Raw("<input type=\"hidden\"").Attr("name", name).Attr("value", value).Raw(">");
            }
        }

        var text = request.T;
        html.Raw("<input type=\"hidden\" name=\"confirmed\" value=\"yes\"><button type=\"submit\" class=\"jt-button jt-danger\">")
            .Text(text.Format("Confirm.Yes", title.ToLower(text.Culture))).Raw("</button> <a").Attr("href", back).Raw(">").Text(text["Confirm.No"]).Raw("</a></form>");
        return Layout.Page(request, title, counts, html, "confirm");
    }
}
