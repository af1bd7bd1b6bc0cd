using JobTracking.Dashboard.Commands;
using JobTracking.Dashboard.Routing;
using Microsoft.Extensions.Logging;

namespace JobTracking.Dashboard.Pages;

/// <summary>One job: its status and the buttons that status allows, then the General, Log, Rejects and History tabs.</summary>
internal static class JobDetailPage
{
    public static string General(DashboardRequest request, JobRecord job, IReadOnlyList<JobCount> counts, string? flash, IReadOnlyList<JobHistoryEntry> history)
    {
        var html = Header(request, job, "general", flash);
        var text = request.T;
        var now = request.Clock.GetUtcNow();
        html.Raw("<section class=\"jt-tab\" id=\"jt-general\"><dl class=\"jt-facts\">");
        Fact(html, text["Column.Status"], h => Format.Status(h, text, job.Status, job.WarningCount));
        Fact(html, text["Column.Type"], h => h.Text(job.TypeName));
        Fact(html, text["Column.LaunchedBy"], h => h.Text(job.LaunchedBy ?? "—"));
        Fact(html, text["Column.Created"], h => Format.Time(h, job.CreatedAt));
        Fact(html, text["Column.Started"], h => Format.Time(h, job.StartedAt));
        Fact(html, text["Column.Ended"], h => Format.Time(h, job.EndedAt));
        Fact(html, text["Job.RunningTime"], h => Format.RunningTime(h, text, job, history, now));
        Fact(html, text["Column.Progress"], h =>
        {
            Format.Progress(h, text, job.Progress, job.DisplayName);
            if (job.Progress.Total is { } total)
            {
                h.Raw(" <span class=\"jt-done\">").Text(text.Format("Job.DoneOf", text.Number(job.Progress.Done), text.Number(total))).Raw("</span>");
            }
        });
        Fact(html, text["Column.Warnings"], h => h.Raw("<span class=\"jt-warnings\">").Text(job.WarningCount).Raw("</span>"));
        Fact(html, text["Column.Attempt"], h => h.Text(Format.MaxAttempts(request, job.TypeName) is > 1 and var max
            ? text.Format("Job.AttemptOf", text.Number(job.Attempt), text.Number(max))
            : text.Number(job.Attempt)));
        if (job.Status == JobStatus.Queued && job.RunAfter is { } runAfter && runAfter > now)
        {
            Fact(html, text[job.PreviousAttempts is [.., { Status: JobStatus.Failed }] ? "Job.NextAttempt" : "Job.ScheduledFor"], h => Format.Time(h, runAfter));
        }
        Fact(html, text["Job.Node"], h => h.Text(job.Node ?? "—"));
        Fact(html, text["Job.Id"], h => h.Raw("<code>").Text(job.Id.ToString()).Raw("</code>"));
        html.Raw("</dl>");

        if (job.Error is not null && !request.ShowsErrors)
        {
            html.Raw("<h2>").Text(text["Job.Error"]).Raw("</h2><div class=\"jt-error-box\"><p>").Text(text["Job.ErrorHidden"]).Raw("</p></div>");
        }
        else if (job.Error is { } error)
        {
            html.Raw("<h2>").Text(text["Job.Error"]).Raw("</h2><div class=\"jt-error-box\"><p><b>").Text(error.Type).Raw("</b>: ").Text(error.Message).Raw("</p>");
            if (request.CanAct && error.StackTrace is { } stack)
            {
                html.Raw("<details><summary>").Text(text["Job.StackTrace"]).Raw("</summary><pre class=\"jt-pre\">").Text(stack).Raw("</pre></details>");
            }

            html.Raw("</div>");
        }

        html.Raw("<h2>").Text(text["Job.Steps"]).Raw("</h2>");
        if (job.Steps.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">").Text(text["Job.NoSteps"]).Raw("</p>");
        }
        else
        {
            html.Raw("<table class=\"jt-table\"><thead><tr>")
                .Cells("th", text["Column.Step"], text["Column.Status"], text["Column.Read"], text["Column.Written"], text["Column.Skipped"], text["Column.Warnings"], text["Column.Duration"])
                .Raw("</tr></thead><tbody>");
            foreach (var step in job.Steps)
            {
                html.Raw("<tr><td>").Text(step.Name).Raw("</td><td class=\"jt-step-status\">").Text(StatusLabels.Step(text, step.Status, job.Status)).Raw("</td><td>").Text(step.Read)
                    .Raw("</td><td>").Text(step.Written).Raw("</td><td>").Text(step.Skipped).Raw("</td><td>").Text(step.Warnings)
                    .Raw("</td><td>").Text(step.Duration is { } d ? Format.Duration(text, d) : "—").Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        html.Raw("<h2>").Text(text["Job.Attempts"]).Raw("</h2>");
        if (job.Attempts.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">").Text(text["Job.NotStarted"]).Raw("</p>");
        }
        else
        {
            html.Raw("<table class=\"jt-table\"><thead><tr>")
                .Cells("th", text["Column.Attempt"], text["Column.Started"], text["Column.Ended"], text["Column.Outcome"], text["Job.Error"])
                .Raw("</tr></thead><tbody>");
            foreach (var attempt in job.Attempts)
            {
                html.Raw("<tr><td>").Text(attempt.Number).Raw("</td><td>");
                Format.Time(html, attempt.StartedAt);
                html.Raw("</td><td>");
                Format.Time(html, attempt.EndedAt);
                html.Raw("</td><td>");
                // Only the current attempt can have completed, and the job's warnings are its warnings: the same words as the job's status.
                Format.Status(html, text, attempt.Status, attempt.Number == job.Attempt ? job.WarningCount : 0);
                html.Raw("</td><td>").Text(attempt.Error is { } e ? request.ShowsErrors ? $"{e.Type}: {e.Message}" : text["Job.AttemptFailed"] : "").Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        if (request.CanAct)
        {
            html.Raw("<h2>").Text(text["Job.Parameters"]).Raw("</h2><pre class=\"jt-pre\" id=\"jt-parameters\">").Text(job.Parameters).Raw("</pre>")
                .Raw("<h2>").Text(text["Job.Checkpoint"]).Raw("</h2><pre class=\"jt-pre\" id=\"jt-checkpoint\">").Text(job.Checkpoint ?? text["Job.NoCheckpoint"]).Raw("</pre>");
        }

        html.Raw("</section>");
        return Layout.Page(request, job.DisplayName, counts, html, "job", job.Id);
    }

    public static string Log(DashboardRequest request, JobRecord job, IReadOnlyList<JobCount> counts, JournalQuery query, JournalPage<JobLogEntry> page)
    {
        var html = Header(request, job, "log", null);
        var text = request.T;
        var self = request.Base + "/" + job.Id;
        html.Raw("<section class=\"jt-tab\" id=\"jt-log\"><form method=\"get\" class=\"jt-filters\"").Attr("action", self).Raw(">")
            .Raw("<input type=\"hidden\" name=\"tab\" value=\"log\"><label>").Text(text["Log.LowestLevel"]).Raw(" <select name=\"level\">");
        foreach (var level in new[] { LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error, LogLevel.Critical })
        {
            html.Raw("<option").Attr("value", level.ToString()).Raw(level == query.MinimumLevel ? " selected" : "").Raw(">").Text(text["Level." + level]).Raw("</option>");
        }

        html.Raw("</select></label><button class=\"jt-button\" type=\"submit\">").Text(text["Log.Show"]).Raw("</button></form><p><a class=\"jt-button\" id=\"jt-log-csv\" download")
            .Attr("href", self + "/log.csv?level=" + query.MinimumLevel).Raw(">").Text(text["Log.Download"]).Raw("</a></p>");
        if (page.Items.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">").Text(text["Log.Empty"]).Raw("</p>");
        }
        else
        {
            html.Raw("<table class=\"jt-table jt-log\"><thead><tr>").Cells("th", text["Column.Time"], text["Column.Level"], text["Column.Message"]).Raw("</tr></thead><tbody>");
            foreach (var line in page.Items)
            {
                html.Raw("<tr").Attr("class", "jt-level-" + line.Level.ToString().ToLowerInvariant()).Raw("><td>");
                Format.Time(html, line.At);
                html.Raw("</td><td>").Text(text["Level." + line.Level]).Raw("</td><td class=\"jt-message\">").Text(line.Message).Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        Pager(html, text, self + "?tab=log&level=" + query.MinimumLevel + "&size=" + query.PageSize, query.PageToken, page.NextPageToken, self + "?tab=log&level=" + query.MinimumLevel);
        html.Raw("</section>");
        return Layout.Page(request, job.DisplayName + " · " + text["Tab.Log"], counts, html, "job", job.Id);
    }

    public static string Rejects(DashboardRequest request, JobRecord job, IReadOnlyList<JobCount> counts, JournalQuery query, JournalPage<JobReject> page)
    {
        var html = Header(request, job, "rejects", null);
        var text = request.T;
        var self = request.Base + "/" + job.Id;
        html.Raw("<section class=\"jt-tab\" id=\"jt-rejects\"><p><a class=\"jt-button\" id=\"jt-rejects-csv\" download").Attr("href", self + "/rejects.csv")
            .Raw(">").Text(text["Rejects.Download"]).Raw("</a></p>");
        if (page.Items.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">").Text(text["Rejects.Empty"]).Raw("</p>");
        }
        else
        {
            html.Raw("<table class=\"jt-table jt-rejects\"><thead><tr>")
                .Cells("th", text["Column.Record"], text["Column.Reason"], text["Column.RawRecord"], text["Column.Rejected"]).Raw("</tr></thead><tbody>");
            foreach (var reject in page.Items)
            {
                html.Raw("<tr><td>").Text(reject.RecordNumber).Raw("</td><td>").Text(reject.Reason).Raw("</td><td><code>").Text(reject.RawRecord).Raw("</code></td><td>");
                Format.Time(html, reject.At);
                html.Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        Pager(html, text, self + "?tab=rejects&size=" + query.PageSize, query.PageToken, page.NextPageToken, self + "?tab=rejects");
        html.Raw("</section>");
        return Layout.Page(request, job.DisplayName + " · " + text["Tab.Rejects"], counts, html, "job", job.Id);
    }

    public static string History(DashboardRequest request, JobRecord job, IReadOnlyList<JobCount> counts, IReadOnlyList<JobHistoryEntry> history)
    {
        var html = Header(request, job, "history", null);
        JobHistorySection.Render(html, request.T, [.. history.Select(e => Api.HistoryEntryView.From(e, request.CanAct, request.ShowsErrors))]);
        return Layout.Page(request, job.DisplayName + " · " + request.T["Tab.History"], counts, html, "job", job.Id);
    }

    /// <summary>The confirmation asked before a command when the page's script did not ask it.</summary>
    public static string Confirm(DashboardRequest request, JobRecord job, IReadOnlyList<JobCount> counts, DashboardCommand command)
    {
        var text = request.T;
        var html = new Html();
        html.Raw("<h1>").Text(JobCommands.Button(text, command)).Raw("</h1><p>").Text(JobCommands.Question(text, command, job.DisplayName)).Raw("</p>");
        CommandForm(html, request, job, command, confirmed: true);
        html.Raw(" <a").Attr("href", request.Base + "/" + job.Id).Raw(">").Text(text["Job.Back"]).Raw("</a>");
        return Layout.Page(request, JobCommands.Button(text, command), counts, html, "confirm", job.Id);
    }

    private static Html Header(DashboardRequest request, JobRecord job, string tab, string? flash)
    {
        var text = request.T;
        var html = new Html();
        var self = request.Base + "/" + job.Id;
        html.Raw("<p class=\"jt-crumbs\"><a").Attr("href", request.Base).Raw(">").Text(text["Tracker.Title"]).Raw("</a> ›</p>")
            .Raw("<h1 class=\"jt-job-title\"><span class=\"jt-job-name\">").Text(job.DisplayName).Raw("</span> <span id=\"jt-job-status\">");
        Format.Status(html, text, job.Status, job.WarningCount);
        html.Raw("</span></h1>");
        Layout.Flash(html, flash);
        if (request.CanAct)
        {
            html.Raw("<div class=\"jt-commands\">");
            foreach (var command in JobCommands.All.Where(c => JobCommands.Allows(job.Status, c)))
            {
                CommandForm(html, request, job, command, confirmed: false);
            }

            html.Raw("</div>");
        }

        html.Raw("<nav class=\"jt-tabs\"").Attr("aria-label", text["Tab.Label"]).Raw(">");
        Tab(html, self, text["Tab.General"], tab == "general");
        Tab(html, self + "?tab=log", text["Tab.Log"], tab == "log");
        Tab(html, self + "?tab=rejects", text["Tab.Rejects"], tab == "rejects");
        Tab(html, self + "?tab=history", text["Tab.History"], tab == "history");
        return html.Raw("</nav>");
    }

    private static void CommandForm(Html html, DashboardRequest request, JobRecord job, DashboardCommand command, bool confirmed)
    {
        var name = JobCommands.Name(command);
        var text = request.T;
        html.Raw("<form method=\"post\" class=\"jt-command\"").Attr("action", request.Base + "/" + job.Id + "/" + name).Raw(">");
        Layout.AntiforgeryField(html, request);
        html.Raw("<input type=\"hidden\" name=\"confirmed\"").Attr("value", confirmed ? "yes" : "").Raw(">")
            .Raw("<button type=\"submit\"").Attr("class", "jt-button jt-cmd-" + name + (command == DashboardCommand.Cancel ? " jt-danger" : ""))
            .Attr("data-confirm", confirmed ? null : JobCommands.Question(text, command, job.DisplayName)).Raw(">").Text(JobCommands.Button(text, command)).Raw("</button></form>");
    }

    private static void Tab(Html html, string href, string label, bool current) =>
        html.Raw("<a").Attr("href", href).Attr("class", current ? "jt-tab-link jt-current" : "jt-tab-link").Raw(current ? " aria-current=\"page\"" : "").Raw(">").Text(label).Raw("</a>");

    private static void Fact(Html html, string name, Action<Html> value)
    {
        html.Raw("<div><dt>").Text(name).Raw("</dt><dd>");
        value(html);
        html.Raw("</dd></div>");
    }

    private static void Pager(Html html, DashboardText text, string pageLink, string? current, string? next, string first)
    {
        html.Raw("<nav class=\"jt-pager\"").Attr("aria-label", text["Pager.Label"]).Raw(">");
        if (current is not null)
        {
            html.Raw("<a class=\"jt-button\"").Attr("href", first).Raw(">").Text(text["Pager.First"]).Raw("</a>");
        }

        if (next is not null)
        {
            html.Raw("<a class=\"jt-button\" rel=\"next\"").Attr("href", pageLink + "&after=" + Uri.EscapeDataString(next)).Raw(">").Text(text["Pager.Next"]).Raw("</a>");
        }

        html.Raw("</nav>");
    }
}
