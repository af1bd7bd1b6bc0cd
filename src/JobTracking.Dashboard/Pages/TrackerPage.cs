using JobTracking.Dashboard.Commands;
using JobTracking.Dashboard.Queries;
using JobTracking.Dashboard.Routing;

namespace JobTracking.Dashboard.Pages;

/// <summary>The process tracker: filters and search, the jobs newest first with keyset paging, and bulk commands.</summary>
internal static class TrackerPage
{
    public static string Render(DashboardRequest request, TrackerFilter filter, JobPage page, IReadOnlyList<JobCount> counts)
    {
        var now = request.Clock.GetUtcNow();
        var text = request.T;
        var html = new Html();
        html.Raw("<h1>").Text(text["Tracker.Title"]).Raw("</h1>");
        FilterForm(html, request, filter, counts);

        html.Raw("<form method=\"post\" class=\"jt-bulk\"").Attr("action", request.Base + "/bulk").Raw(">");
        if (request.CanAct)
        {
            Layout.AntiforgeryField(html, request);
            html.Raw("<input type=\"hidden\" name=\"confirmed\" value=\"\">");
            foreach (var (name, value) in FilterFields(filter))
            {
                html.Raw("<input type=\"hidden\"").Attr("name", name).Attr("value", value).Raw(">");
            }
        }

        html.Raw("<table class=\"jt-table jt-jobs\"><thead><tr>");
        if (request.CanAct)
        {
            html.Raw("<th class=\"jt-select\"><span class=\"jt-hidden\">").Text(text["Tracker.Select"]).Raw("</span></th>");
        }

        html.Cells("th", text["Column.Status"], text["Column.Job"], text["Column.Type"], text["Column.LaunchedBy"], text["Column.Created"], text["Column.Started"],
                text["Column.Elapsed"], text["Column.Progress"], text["Column.Warnings"])
            .Raw("</tr></thead><tbody id=\"jt-rows\"")
            .Attr("data-page-size", filter.PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)).Raw(filter.IsEmpty ? ">" : " data-filtered>");
        foreach (var job in page.Items)
        {
            Row(html, request, job, now);
        }

        html.Raw("</tbody></table>");
        if (page.Items.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\" id=\"jt-empty\">").Text(text[filter.IsEmpty ? "Tracker.Empty" : "Tracker.NoMatch"]).Raw("</p>");
        }

        if (request.CanAct)
        {
            BulkButtons(html, text, filter, page, counts);
        }

        html.Raw("</form><nav class=\"jt-pager\"").Attr("aria-label", text["Pager.Label"]).Raw(">");
        if (filter.After is not null)
        {
            html.Raw("<a class=\"jt-button\"").Attr("href", request.Base + filter.ToQueryString()).Raw(">").Text(text["Tracker.Newest"]).Raw("</a>");
        }

        if (page.NextPageToken is { } next)
        {
            html.Raw("<a class=\"jt-button\" rel=\"next\"").Attr("href", request.Base + filter.ToQueryString(after: next)).Raw(">").Text(text["Tracker.Older"]).Raw("</a>");
        }

        html.Raw("</nav>");
        return Layout.Page(request, text["Tracker.Title"], counts, html, "tracker", query: filter.After is null ? filter.ToQueryString() : null);
    }

    /// <summary>One row; also served alone, for a job that appears while the page is open.</summary>
    public static void Row(Html html, DashboardRequest request, JobRecord job, DateTimeOffset now)
    {
        var link = request.Base + "/" + job.Id;
        var text = request.T;
        // The version lets the live page keep whichever is newer: this row, or an event that reached the page first.
        html.Raw("<tr").Attr("data-job-id", job.Id.ToString()).Attr("data-status", job.Status.ToString())
            .Attr("data-version", job.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)).Raw(">");
        if (request.CanAct)
        {
            html.Raw("<td class=\"jt-select\"><input type=\"checkbox\" name=\"id\"").Attr("value", job.Id.ToString())
                .Attr("aria-label", text.Format("Tracker.SelectJob", job.DisplayName)).Raw("></td>");
        }

        html.Raw("<td class=\"jt-status\">");
        Format.Status(html, text, job.Status, job.WarningCount);
        Format.Waiting(html, request, job, now);
        // data-label: the column's name, which a phone's layout (rows as cards, no header row) shows before the value.
        html.Raw("</td><td class=\"jt-name\"><a").Attr("href", link).Raw(">").Text(job.DisplayName).Raw("</a></td>")
            .Raw("<td class=\"jt-type\"").Attr("data-label", text["Column.Type"]).Raw(">").Text(job.TypeName)
            .Raw("</td><td class=\"jt-user\"").Attr("data-label", text["Column.LaunchedBy"]).Raw(">").Text(job.LaunchedBy)
            .Raw("</td><td class=\"jt-created\"").Attr("data-label", text["Column.Created"]).Raw(">");
        Format.Time(html, job.CreatedAt);
        html.Raw("</td><td class=\"jt-started\"").Attr("data-label", text["Column.Started"]).Raw(">");
        Format.Time(html, job.StartedAt);
        html.Raw("</td>");
        Format.Duration(html, text, "td", job, now);
        html.Raw("<td class=\"jt-progress\">");
        Format.Progress(html, text, job.Progress, job.DisplayName);
        Format.CurrentStep(html, text, job);
        html.Raw("</td><td class=\"jt-warnings\"").Attr("data-label", text["Column.Warnings"]).Raw(">").Text(job.WarningCount).Raw("</td></tr>");
    }

    // A button shows only where its command can change a job: one on this page for the selected jobs, a job in one of the
    // filter's statuses (of the filter's type) that the command accepts for all matching jobs. The server checks again.
    private static void BulkButtons(Html html, DashboardText text, TrackerFilter filter, JobPage page, IReadOnlyList<JobCount> counts)
    {
        var cancelSelected = page.Items.Any(j => JobCommands.Allows(j.Status, DashboardCommand.Cancel));
        var restartSelected = page.Items.Any(j => JobCommands.Allows(j.Status, DashboardCommand.Restart));
        var cancelAll = page.Items.Count > 0 && MayApply(filter, counts, DashboardCommand.Cancel);
        var restartAll = page.Items.Count > 0 && MayApply(filter, counts, DashboardCommand.Restart);
        if (!(cancelSelected || restartSelected || cancelAll || restartAll))
        {
            return;
        }

        html.Raw("<div class=\"jt-actions\">");
        if (cancelSelected || restartSelected)
        {
            html.Raw("<span>").Text(text["Bulk.Selected"]).Raw("</span>");
            if (cancelSelected)
            {
                html.Raw("<button class=\"jt-button\" name=\"command\" value=\"cancel-selected\"").Attr("data-confirm", text["Bulk.ConfirmSelected.Cancel"]).Raw(">")
                    .Text(text["Command.Cancel"]).Raw("</button>");
            }

            if (restartSelected)
            {
                html.Raw("<button class=\"jt-button\" name=\"command\" value=\"restart-selected\"").Attr("data-confirm", text["Bulk.ConfirmSelected.Restart"]).Raw(">")
                    .Text(text["Command.Restart"]).Raw("</button>");
            }
        }

        if (cancelAll || restartAll)
        {
            html.Raw("<span>").Text(text["Bulk.All"]).Raw("</span>");
            if (cancelAll)
            {
                html.Raw("<button class=\"jt-button jt-danger\" name=\"command\" value=\"cancel-all\"").Attr("data-confirm", text["Bulk.ConfirmAll.Cancel"]).Raw(" data-confirm-count>")
                    .Text(text["Bulk.CancelAll"]).Raw("</button>");
            }

            if (restartAll)
            {
                html.Raw("<button class=\"jt-button\" name=\"command\" value=\"restart-all\"").Attr("data-confirm", text["Bulk.ConfirmAll.Restart"]).Raw(" data-confirm-count>")
                    .Text(text["Bulk.RestartAll"]).Raw("</button>");
            }
        }

        html.Raw("</div>");
    }

    private static bool MayApply(TrackerFilter filter, IReadOnlyList<JobCount> counts, DashboardCommand command) =>
        counts.Any(c => c.Count > 0 && JobCommands.Allows(c.Status, command)
            && (filter.Statuses.Count == 0 || filter.Statuses.Contains(c.Status))
            && (filter.Type is null || string.Equals(filter.Type, c.TypeName, StringComparison.Ordinal)));

    private static void FilterForm(Html html, DashboardRequest request, TrackerFilter filter, IReadOnlyList<JobCount> counts)
    {
        var text = request.T;
        html.Raw("<form method=\"get\" class=\"jt-filters\" role=\"search\"").Attr("action", request.Base).Raw(">")
            .Raw("<label>").Text(text["Filter.Search"]).Raw(" <input type=\"search\" name=\"q\"").Attr("placeholder", text["Filter.SearchPlaceholder"]).Attr("value", filter.Text).Raw("></label>")
            .Raw("<label>").Text(text["Column.Status"]).Raw(" <select name=\"status\"><option value=\"\">").Text(text["Filter.Any"]).Raw("</option>");
        foreach (var status in Enum.GetValues<JobStatus>())
        {
            html.Raw("<option").Attr("value", status.ToString()).Raw(filter.Statuses.Count == 1 && filter.Statuses.Contains(status) ? " selected" : "")
                .Raw(">").Text(StatusLabels.Label(text, status)).Raw("</option>");
        }

        html.Raw("</select></label><label>").Text(text["Column.Type"]).Raw(" <select name=\"type\"><option value=\"\">").Text(text["Filter.Any"]).Raw("</option>");
        var types = counts.Select(c => c.TypeName).Append(filter.Type).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var type in types)
        {
            html.Raw("<option").Attr("value", type).Raw(string.Equals(type, filter.Type, StringComparison.Ordinal) ? " selected" : "").Raw(">").Text(type).Raw("</option>");
        }

        html.Raw("</select></label>")
            .Raw("<label>").Text(text["Column.LaunchedBy"]).Raw(" <input type=\"text\" name=\"user\"").Attr("value", filter.User).Raw("></label>")
            .Raw("<label>").Text(text["Filter.Node"]).Raw(" <input type=\"text\" name=\"node\"").Attr("value", filter.Node).Raw("></label>")
            .Raw("<label>").Text(text["Filter.From"]).Raw(" <input type=\"date\" name=\"from\"").Attr("value", filter.From).Raw("></label>")
            .Raw("<label>").Text(text["Filter.To"]).Raw(" <input type=\"date\" name=\"to\"").Attr("value", filter.To).Raw("></label>")
            .Raw("<button class=\"jt-button\" type=\"submit\">").Text(text["Filter.Submit"]).Raw("</button>");
        if (!filter.IsEmpty)
        {
            html.Raw("<a class=\"jt-clear\"").Attr("href", request.Base).Raw(">").Text(text["Filter.Clear"]).Raw("</a>");
        }

        html.Raw("</form>");
    }

    private static IEnumerable<(string Name, string Value)> FilterFields(TrackerFilter filter)
    {
        foreach (var status in filter.Statuses)
        {
            yield return ("status", status.ToString());
        }

        if (filter.Type is { } type)
        {
            yield return ("type", type);
        }

        if (filter.User is { } user)
        {
            yield return ("user", user);
        }

        if (filter.Node is { } node)
        {
            yield return ("node", node);
        }

        if (filter.From is { } from)
        {
            yield return ("from", from);
        }

        if (filter.To is { } to)
        {
            yield return ("to", to);
        }

        if (filter.Text is { } text)
        {
            yield return ("q", text);
        }
    }
}
