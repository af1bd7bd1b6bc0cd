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
        var now = request.Clock.GetUtcNow();
        html.Raw("<section class=\"jt-tab\" id=\"jt-general\"><dl class=\"jt-facts\">");
        Fact(html, "Status", h => Format.Status(h, job.Status, job.WarningCount));
        Fact(html, "Type", h => h.Text(job.TypeName));
        Fact(html, "Launched by", h => h.Text(job.LaunchedBy ?? "—"));
        Fact(html, "Created", h => Format.Time(h, job.CreatedAt));
        Fact(html, "Started", h => Format.Time(h, job.StartedAt));
        Fact(html, "Ended", h => Format.Time(h, job.EndedAt));
        Fact(html, "Running time", h => Format.RunningTime(h, job, history, now));
        Fact(html, "Progress", h =>
        {
            Format.Progress(h, job.Progress, job.DisplayName);
            if (job.Progress.Total is { } total)
            {
                h.Raw(" <span class=\"jt-done\">").Text(job.Progress.Done).Raw(" of ").Text(total).Raw("</span>");
            }
        });
        Fact(html, "Warnings", h => h.Raw("<span class=\"jt-warnings\">").Text(job.WarningCount).Raw("</span>"));
        Fact(html, "Attempt", h =>
        {
            h.Text(job.Attempt);
            if (Format.MaxAttempts(request, job.TypeName) is > 1 and var max)
            {
                h.Text(" of ").Text(max);
            }
        });
        if (job.Status == JobStatus.Queued && job.RunAfter is { } runAfter && runAfter > now)
        {
            Fact(html, job.PreviousAttempts is [.., { Status: JobStatus.Failed }] ? "Next attempt at" : "Scheduled for", h => Format.Time(h, runAfter));
        }
        Fact(html, "Node", h => h.Text(job.Node ?? "—"));
        Fact(html, "Id", h => h.Raw("<code>").Text(job.Id.ToString()).Raw("</code>"));
        html.Raw("</dl>");

        if (job.Error is not null && !request.ShowsErrors)
        {
            html.Raw("<h2>Error</h2><div class=\"jt-error-box\"><p>The job failed; its error is shown to users who may act on jobs.</p></div>");
        }
        else if (job.Error is { } error)
        {
            html.Raw("<h2>Error</h2><div class=\"jt-error-box\"><p><b>").Text(error.Type).Raw("</b>: ").Text(error.Message).Raw("</p>");
            if (request.CanAct && error.StackTrace is { } stack)
            {
                html.Raw("<details><summary>Stack trace</summary><pre class=\"jt-pre\">").Text(stack).Raw("</pre></details>");
            }

            html.Raw("</div>");
        }

        html.Raw("<h2>Steps</h2>");
        if (job.Steps.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">This job reports no steps.</p>");
        }
        else
        {
            html.Raw("<table class=\"jt-table\"><thead><tr><th>Step</th><th>Status</th><th>Read</th><th>Written</th><th>Skipped</th><th>Warnings</th><th>Duration</th></tr></thead><tbody>");
            foreach (var step in job.Steps)
            {
                html.Raw("<tr><td>").Text(step.Name).Raw("</td><td class=\"jt-step-status\">").Text(StatusLabels.Step(step.Status, job.Status)).Raw("</td><td>").Text(step.Read)
                    .Raw("</td><td>").Text(step.Written).Raw("</td><td>").Text(step.Skipped).Raw("</td><td>").Text(step.Warnings)
                    .Raw("</td><td>").Text(step.Duration is { } d ? Format.Duration(d) : "—").Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        html.Raw("<h2>Attempts</h2>");
        if (job.Attempts.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">Not started yet.</p>");
        }
        else
        {
            html.Raw("<table class=\"jt-table\"><thead><tr><th>Attempt</th><th>Started</th><th>Ended</th><th>Outcome</th><th>Error</th></tr></thead><tbody>");
            foreach (var attempt in job.Attempts)
            {
                html.Raw("<tr><td>").Text(attempt.Number).Raw("</td><td>");
                Format.Time(html, attempt.StartedAt);
                html.Raw("</td><td>");
                Format.Time(html, attempt.EndedAt);
                html.Raw("</td><td>");
                // Only the current attempt can have completed, and the job's warnings are its warnings: the same words as the job's status.
                Format.Status(html, attempt.Status, attempt.Number == job.Attempt ? job.WarningCount : 0);
                html.Raw("</td><td>").Text(attempt.Error is { } e ? request.ShowsErrors ? $"{e.Type}: {e.Message}" : "failed" : "").Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        if (request.CanAct)
        {
            html.Raw("<h2>Parameters</h2><pre class=\"jt-pre\" id=\"jt-parameters\">").Text(job.Parameters).Raw("</pre>")
                .Raw("<h2>Checkpoint</h2><pre class=\"jt-pre\" id=\"jt-checkpoint\">").Text(job.Checkpoint ?? "(none)").Raw("</pre>");
        }

        html.Raw("</section>");
        return Layout.Page(request, job.DisplayName, counts, html, "job", job.Id);
    }

    public static string Log(DashboardRequest request, JobRecord job, IReadOnlyList<JobCount> counts, JournalQuery query, JournalPage<JobLogEntry> page)
    {
        var html = Header(request, job, "log", null);
        var self = request.Base + "/" + job.Id;
        html.Raw("<section class=\"jt-tab\" id=\"jt-log\"><form method=\"get\" class=\"jt-filters\"").Attr("action", self).Raw(">")
            .Raw("<input type=\"hidden\" name=\"tab\" value=\"log\"><label>Lowest level <select name=\"level\">");
        foreach (var level in new[] { LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error, LogLevel.Critical })
        {
            html.Raw("<option").Attr("value", level.ToString()).Raw(level == query.MinimumLevel ? " selected" : "").Raw(">").Text(level.ToString()).Raw("</option>");
        }

        html.Raw("</select></label><button class=\"jt-button\" type=\"submit\">Show</button></form><p><a class=\"jt-button\" id=\"jt-log-csv\" download")
            .Attr("href", self + "/log.csv?level=" + query.MinimumLevel).Raw(">Download the log (CSV)</a></p>");
        if (page.Items.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">No log lines.</p>");
        }
        else
        {
            html.Raw("<table class=\"jt-table jt-log\"><thead><tr><th>Time</th><th>Level</th><th>Message</th></tr></thead><tbody>");
            foreach (var line in page.Items)
            {
                html.Raw("<tr").Attr("class", "jt-level-" + line.Level.ToString().ToLowerInvariant()).Raw("><td>");
                Format.Time(html, line.At);
                html.Raw("</td><td>").Text(line.Level.ToString()).Raw("</td><td class=\"jt-message\">").Text(line.Message).Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        Pager(html, self + "?tab=log&level=" + query.MinimumLevel + "&size=" + query.PageSize, query.PageToken, page.NextPageToken, self + "?tab=log&level=" + query.MinimumLevel);
        html.Raw("</section>");
        return Layout.Page(request, job.DisplayName + " · Log", counts, html, "job", job.Id);
    }

    public static string Rejects(DashboardRequest request, JobRecord job, IReadOnlyList<JobCount> counts, JournalQuery query, JournalPage<JobReject> page)
    {
        var html = Header(request, job, "rejects", null);
        var self = request.Base + "/" + job.Id;
        html.Raw("<section class=\"jt-tab\" id=\"jt-rejects\"><p><a class=\"jt-button\" id=\"jt-rejects-csv\" download").Attr("href", self + "/rejects.csv")
            .Raw(">Download CSV</a></p>");
        if (page.Items.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">No rejected records.</p>");
        }
        else
        {
            html.Raw("<table class=\"jt-table jt-rejects\"><thead><tr><th>Record</th><th>Reason</th><th>Raw record</th><th>Rejected</th></tr></thead><tbody>");
            foreach (var reject in page.Items)
            {
                html.Raw("<tr><td>").Text(reject.RecordNumber).Raw("</td><td>").Text(reject.Reason).Raw("</td><td><code>").Text(reject.RawRecord).Raw("</code></td><td>");
                Format.Time(html, reject.At);
                html.Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        Pager(html, self + "?tab=rejects&size=" + query.PageSize, query.PageToken, page.NextPageToken, self + "?tab=rejects");
        html.Raw("</section>");
        return Layout.Page(request, job.DisplayName + " · Rejects", counts, html, "job", job.Id);
    }

    public static string History(DashboardRequest request, JobRecord job, IReadOnlyList<JobCount> counts, IReadOnlyList<JobHistoryEntry> history)
    {
        var html = Header(request, job, "history", null);
        JobHistorySection.Render(html, [.. history.Select(e => Api.HistoryEntryView.From(e, request.CanAct, request.ShowsErrors))]);
        return Layout.Page(request, job.DisplayName + " · History", counts, html, "job", job.Id);
    }

    /// <summary>The confirmation asked before a command when the page's script did not ask it.</summary>
    public static string Confirm(DashboardRequest request, JobRecord job, IReadOnlyList<JobCount> counts, DashboardCommand command)
    {
        var html = new Html();
        html.Raw("<h1>").Text(JobCommands.Button(command)).Raw("</h1><p>").Text(JobCommands.Question(command, job.DisplayName)).Raw("</p>");
        CommandForm(html, request, job, command, confirmed: true);
        html.Raw(" <a").Attr("href", request.Base + "/" + job.Id).Raw(">Back to the job</a>");
        return Layout.Page(request, JobCommands.Button(command), counts, html, "confirm", job.Id);
    }

    private static Html Header(DashboardRequest request, JobRecord job, string tab, string? flash)
    {
        var html = new Html();
        var self = request.Base + "/" + job.Id;
        html.Raw("<p class=\"jt-crumbs\"><a").Attr("href", request.Base).Raw(">Jobs</a> ›</p>")
            .Raw("<h1 class=\"jt-job-title\"><span class=\"jt-job-name\">").Text(job.DisplayName).Raw("</span> <span id=\"jt-job-status\">");
        Format.Status(html, job.Status, job.WarningCount);
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

        html.Raw("<nav class=\"jt-tabs\" aria-label=\"Tabs\">");
        Tab(html, self, "General", tab == "general");
        Tab(html, self + "?tab=log", "Log", tab == "log");
        Tab(html, self + "?tab=rejects", "Rejects", tab == "rejects");
        Tab(html, self + "?tab=history", "History", tab == "history");
        return html.Raw("</nav>");
    }

    private static void CommandForm(Html html, DashboardRequest request, JobRecord job, DashboardCommand command, bool confirmed)
    {
        var name = JobCommands.Name(command);
        html.Raw("<form method=\"post\" class=\"jt-command\"").Attr("action", request.Base + "/" + job.Id + "/" + name).Raw(">");
        Layout.AntiforgeryField(html, request);
        html.Raw("<input type=\"hidden\" name=\"confirmed\"").Attr("value", confirmed ? "yes" : "").Raw(">")
            .Raw("<button type=\"submit\"").Attr("class", "jt-button jt-cmd-" + name + (command == DashboardCommand.Cancel ? " jt-danger" : ""))
            .Attr("data-confirm", confirmed ? null : JobCommands.Question(command, job.DisplayName)).Raw(">").Text(JobCommands.Button(command)).Raw("</button></form>");
    }

    private static void Tab(Html html, string href, string label, bool current) =>
        html.Raw("<a").Attr("href", href).Attr("class", current ? "jt-tab-link jt-current" : "jt-tab-link").Raw(current ? " aria-current=\"page\"" : "").Raw(">").Text(label).Raw("</a>");

    private static void Fact(Html html, string name, Action<Html> value)
    {
        html.Raw("<div><dt>").Text(name).Raw("</dt><dd>");
        value(html);
        html.Raw("</dd></div>");
    }

    private static void Pager(Html html, string pageLink, string? current, string? next, string first)
    {
        html.Raw("<nav class=\"jt-pager\" aria-label=\"Pages\">");
        if (current is not null)
        {
            html.Raw("<a class=\"jt-button\"").Attr("href", first).Raw(">« First</a>");
        }

        if (next is not null)
        {
            html.Raw("<a class=\"jt-button\" rel=\"next\"").Attr("href", pageLink + "&after=" + Uri.EscapeDataString(next)).Raw(">Next »</a>");
        }

        html.Raw("</nav>");
    }
}
