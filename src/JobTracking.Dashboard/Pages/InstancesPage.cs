using JobTracking.Dashboard.Routing;

namespace JobTracking.Dashboard.Pages;

/// <summary>The instances sharing the store (Hangfire's "servers"): name, id, version, start, last heartbeat, workers and running jobs, and whether each still answers.</summary>
internal static class InstancesPage
{
    public static string Render(DashboardRequest request, IReadOnlyList<JobCount> counts, IReadOnlyList<JobInstanceInfo>? instances)
    {
        var text = request.T;
        var title = text["Instances.Title"];
        var html = new Html();
        html.Raw("<h1>").Text(title).Raw("</h1>");
        if (instances is null)
        {
            html.Raw("<p class=\"jt-empty\">").Text(text["Instances.NoStore"]).Raw("</p>");
            return Layout.Page(request, title, counts, html, "instances");
        }

        var notAnswering = instances.Count(i => !i.IsAnswering);
        var summary = text.Plural("Instances.Count", instances.Count);
        html.Raw("<p class=\"jt-muted\">")
            .Text(notAnswering > 0 ? text.Format("Instances.SummaryNotAnswering", summary, text.Plural("Instances.NotAnsweringCount", notAnswering)) : text.Format("Instances.Summary", summary))
            .Text(" ").Text(text["Instances.Help"])
            .Raw("</p>");
        if (instances.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">").Text(text["Instances.Empty"]).Raw("</p>");
            return Layout.Page(request, title, counts, html, "instances");
        }

        string node = text["Instances.Node"], id = text["Instances.Id"], version = text["Instances.Version"], started = text["Instances.Started"],
            heartbeat = text["Instances.LastHeartbeat"], workers = text["Instances.Workers"], running = text["Instances.RunningJobs"];
        html.Raw("<table class=\"jt-table jt-cards jt-instances\"><thead><tr>")
            .Cells("th", node, text["Instances.State"], id, version, started, heartbeat, workers, running)
            .Raw("</tr></thead><tbody>");
        foreach (var instance in instances)
        {
            // Instance ids (machine, process id) go only to those who may act, as in the jobs' history.
            html.Raw("<tr").Attr("data-instance", request.CanAct ? instance.InstanceId : null).Raw("><td class=\"jt-name\"><b>").Text(instance.Node).Raw("</b>");
            if (instance.IsCurrent)
            {
                html.Raw(" <span class=\"jt-muted\">").Text(text["Instances.This"]).Raw("</span>");
            }

            html.Raw("</td><td class=\"jt-status\">")
                .Raw(instance.IsAnswering ? "<span class=\"jt-badge jt-s-completed\">" : "<span class=\"jt-badge jt-s-failed\">")
                .Raw("<span class=\"jt-dot\" aria-hidden=\"true\"></span>").Text(text[instance.IsAnswering ? "Instances.Answering" : "Instances.NotAnswering"]).Raw("</span>")
                .Raw("</td><td").Attr("data-label", text["Job.Id"]).Raw(">");
            if (request.CanAct)
            {
                html.Raw("<code>").Text(instance.InstanceId).Raw("</code>");
            }
            else
            {
                html.Raw("<span class=\"jt-none\">").Text(text["Instances.IdHidden"]).Raw("</span>");
            }

            html.Raw("</td><td").Attr("data-label", version).Raw(">").Text(instance.Version)
                .Raw("</td><td").Attr("data-label", started).Raw(">");
            Format.Time(html, instance.StartedAt);
            html.Raw("</td><td").Attr("data-label", heartbeat).Raw(">");
            Format.Time(html, instance.LastHeartbeatAt);
            html.Raw(" <span class=\"jt-when\">").Text(text.Format("Instances.Ago", Format.Duration(text, instance.SilentFor))).Raw("</span></td><td")
                .Attr("data-label", workers).Raw(">").Text(text.Number(instance.MaxConcurrency))
                .Raw("</td><td").Attr("data-label", running).Raw(">");
            if (instance.RunningJobs > 0)
            {
                html.Raw("<a").Attr("href", $"{request.Base}?status=Running&node={Uri.EscapeDataString(instance.Node)}")
                    .Attr("aria-label", text.Plural("Instances.RunningOn", instance.RunningJobs, instance.Node))
                    .Raw(">").Text(text.Number(instance.RunningJobs)).Raw("</a>");
            }
            else
            {
                html.Text(text.Number(0));
            }

            html.Raw("</td></tr>");
        }

        html.Raw("</tbody></table>");
        return Layout.Page(request, title, counts, html, "instances");
    }
}
