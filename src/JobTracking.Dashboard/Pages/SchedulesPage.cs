using JobTracking.Dashboard.Routing;

namespace JobTracking.Dashboard.Pages;

/// <summary>The recurring schedules: definition, next and last occurrence, last job and its status, and the commands the user may give.</summary>
internal static class SchedulesPage
{
    public static string Render(DashboardRequest request, IReadOnlyList<JobCount> counts, IReadOnlyList<JobScheduleInfo>? schedules, string? done)
    {
        var text = request.T;
        var title = text["Schedules.Title"];
        var html = new Html();
        html.Raw("<h1>").Text(title).Raw("</h1>");
        Layout.Flash(html, done);
        if (schedules is null)
        {
            html.Raw("<p class=\"jt-empty\">").Text(text["Schedules.NoStore"]).Raw("</p>");
            return Layout.Page(request, title, counts, html, "schedules");
        }

        if (schedules.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">").Text(text["Schedules.Empty"]).Raw("</p>");
            return Layout.Page(request, title, counts, html, "schedules");
        }

        html.Raw("<table class=\"jt-table jt-schedules\"><thead><tr>")
            .Cells("th", text["Schedules.Schedule"], text["Schedules.JobType"], text["Schedules.Cron"], text["Schedules.Next"], text["Schedules.Last"], text["Schedules.LastJob"], text["Schedules.State"]);
        if (request.CanAct)
        {
            html.Cells("th", text["Schedules.Commands"]);
        }

        html.Raw("</tr></thead><tbody>");
        foreach (var info in schedules)
        {
            var s = info.Schedule;
            html.Raw("<tr").Attr("data-schedule", s.Id).Raw("><td><b>").Text(s.Id).Raw("</b>");
            if (s.DisplayName is not null)
            {
                html.Raw("<br><span class=\"jt-muted\">").Text(s.DisplayName).Raw("</span>");
            }

            html.Raw("</td><td>").Text(s.TypeName).Raw("</td><td><code>").Text(s.Cron).Raw("</code><br><span class=\"jt-muted\">").Text(s.TimeZone).Raw("</span></td><td>");
            Format.Time(html, s.IsPaused ? null : s.NextOccurrence);
            html.Raw("</td><td>");
            Format.Time(html, s.LastOccurrence);
            html.Raw("</td><td>");
            if (s.LastJobId is { } jobId)
            {
                html.Raw("<a").Attr("href", request.Base + "/" + jobId).Raw(">").Text(jobId.ToString()).Raw("</a> ");
                if (info.LastJobStatus is { } status)
                {
                    Format.Status(html, text, status, 0);
                }
            }
            else
            {
                html.Raw("<span class=\"jt-none\">—</span>");
            }

            html.Raw("</td><td>");
            if (s.IsPaused)
            {
                html.Raw("<span class=\"jt-badge jt-paused\">").Text(text["Schedules.Paused"]).Raw("</span>");
            }
            else
            {
                html.Text(text["Schedules.Active"]);
            }

            html.Raw("</td>");
            if (request.CanAct)
            {
                html.Raw("<td class=\"jt-commands\">");
                CommandForm(html, request, s, s.IsPaused ? "resume" : "pause");
                CommandForm(html, request, s, "trigger");
                CommandForm(html, request, s, "delete");
                html.Raw("</td>");
            }

            html.Raw("</tr>");
        }

        html.Raw("</tbody></table>");
        return Layout.Page(request, title, counts, html, "schedules");
    }

    public static string Button(DashboardText text, string command) => text["Schedules.Command." + Key(command)];

    public static string Question(DashboardText text, string command, string scheduleId) => text.Format("Schedules.Question." + Key(command), scheduleId);

    public static string Done(DashboardText text, string command) => text["Schedules.Done." + Key(command)];

    private static string Key(string command) => command switch
    {
        "pause" => "Pause",
        "resume" => "Resume",
        "trigger" => "Trigger",
        _ => "Delete",
    };

    private static void CommandForm(Html html, DashboardRequest request, JobScheduleRecord schedule, string command)
    {
        html.Raw("<form method=\"post\" class=\"jt-command\"").Attr("action", request.Base + "/schedules/" + command).Raw(">");
        Layout.AntiforgeryField(html, request);
        html.Raw("<input type=\"hidden\" name=\"id\"").Attr("value", schedule.Id).Raw(">")
            .Raw("<button type=\"submit\"").Attr("class", "jt-button jt-cmd-" + command + (command == "delete" ? " jt-danger" : ""))
            .Attr("data-confirm", Question(request.T, command, schedule.Id)).Raw(">").Text(Button(request.T, command)).Raw("</button></form>");
    }
}
