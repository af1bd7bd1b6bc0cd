using JobTracking.Dashboard.Routing;

namespace JobTracking.Dashboard.Pages;

/// <summary>The recurring schedules: definition, next and last occurrence, last job and its status, and the commands the user may give.</summary>
internal static class SchedulesPage
{
    public static string Render(DashboardRequest request, IReadOnlyList<JobCount> counts, IReadOnlyList<JobScheduleInfo>? schedules, string? done)
    {
        var html = new Html();
        html.Raw("<h1>Schedules</h1>");
        Layout.Flash(html, done);
        if (schedules is null)
        {
            html.Raw("<p class=\"jt-empty\">This job store keeps no schedules (it does not implement IJobScheduleStore).</p>");
            return Layout.Page(request, "Schedules", counts, html, "schedules");
        }

        if (schedules.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">No schedules yet. Declare one with AddSchedule, or set one with IJobSchedules.SetAsync.</p>");
            return Layout.Page(request, "Schedules", counts, html, "schedules");
        }

        html.Raw("<table class=\"jt-table jt-schedules\"><thead><tr><th>Schedule</th><th>Job type</th><th>Cron</th><th>Next occurrence</th><th>Last occurrence</th><th>Last job</th><th>State</th>");
        if (request.CanAct)
        {
            html.Raw("<th>Commands</th>");
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
                    Format.Status(html, status, 0);
                }
            }
            else
            {
                html.Raw("<span class=\"jt-none\">—</span>");
            }

            html.Raw("</td><td>").Raw(s.IsPaused ? "<span class=\"jt-badge jt-paused\">Paused</span>" : "Active").Raw("</td>");
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
        return Layout.Page(request, "Schedules", counts, html, "schedules");
    }

    public static string Button(string command) => command switch
    {
        "pause" => "Pause",
        "resume" => "Resume",
        "trigger" => "Run now",
        _ => "Delete",
    };

    public static string Question(string command, string scheduleId) => command switch
    {
        "pause" => $"Pause schedule '{scheduleId}'? It starts nothing until resumed; its running jobs go on.",
        "resume" => $"Resume schedule '{scheduleId}'? Occurrences missed while it was paused follow its misfire rule.",
        "trigger" => $"Run schedule '{scheduleId}' now? Its job starts at once; the next occurrence is unchanged.",
        _ => $"Delete schedule '{scheduleId}'? It starts nothing more; the jobs it started are kept.",
    };

    public static string Done(string command) => command switch
    {
        "pause" => "Schedule paused.",
        "resume" => "Schedule resumed.",
        "trigger" => "Job started.",
        _ => "Schedule deleted.",
    };

    private static void CommandForm(Html html, DashboardRequest request, JobScheduleRecord schedule, string command)
    {
        html.Raw("<form method=\"post\" class=\"jt-command\"").Attr("action", request.Base + "/schedules/" + command).Raw(">");
        Layout.AntiforgeryField(html, request);
        html.Raw("<input type=\"hidden\" name=\"id\"").Attr("value", schedule.Id).Raw(">")
            .Raw("<button type=\"submit\"").Attr("class", "jt-button jt-cmd-" + command + (command == "delete" ? " jt-danger" : ""))
            .Attr("data-confirm", Question(command, schedule.Id)).Raw(">").Text(Button(command)).Raw("</button></form>");
    }
}
