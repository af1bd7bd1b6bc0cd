using JobTracking.Dashboard.Routing;

namespace JobTracking.Dashboard.Pages;

/// <summary>The instances sharing the store (Hangfire's "servers"): name, id, version, start, last heartbeat, workers and running jobs, and whether each still answers.</summary>
internal static class InstancesPage
{
    public static string Render(DashboardRequest request, IReadOnlyList<JobCount> counts, IReadOnlyList<JobInstanceInfo>? instances)
    {
        var html = new Html();
        html.Raw("<h1>Instances</h1>");
        if (instances is null)
        {
            html.Raw("<p class=\"jt-empty\">This job store keeps no list of instances (it does not implement IJobInstanceStore).</p>");
            return Layout.Page(request, "Instances", counts, html, "instances");
        }

        var notAnswering = instances.Count(i => !i.IsAnswering);
        html.Raw("<p class=\"jt-muted\">").Text(instances.Count).Text(instances.Count == 1 ? " instance" : " instances")
            .Text(notAnswering > 0 ? $", {notAnswering} not answering" : "")
            .Text(". An instance is not answering once its last heartbeat is older than three lease durations; it is forgotten later. Reload to refresh.")
            .Raw("</p>");
        if (instances.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">No instance has sent a heartbeat yet.</p>");
            return Layout.Page(request, "Instances", counts, html, "instances");
        }

        html.Raw("<table class=\"jt-table jt-cards jt-instances\"><thead><tr><th>Node</th><th>State</th><th>Instance id</th><th>Version</th><th>Started</th>")
            .Raw("<th>Last heartbeat</th><th>Workers</th><th>Running jobs</th></tr></thead><tbody>");
        foreach (var instance in instances)
        {
            // Instance ids (machine, process id) go only to those who may act, as in the jobs' history.
            html.Raw("<tr").Attr("data-instance", request.CanAct ? instance.InstanceId : null).Raw("><td class=\"jt-name\"><b>").Text(instance.Node).Raw("</b>");
            if (instance.IsCurrent)
            {
                html.Raw(" <span class=\"jt-muted\">(this instance)</span>");
            }

            html.Raw("</td><td class=\"jt-status\">")
                .Raw(instance.IsAnswering
                    ? "<span class=\"jt-badge jt-s-completed\"><span class=\"jt-dot\" aria-hidden=\"true\"></span>Answering</span>"
                    : "<span class=\"jt-badge jt-s-failed\"><span class=\"jt-dot\" aria-hidden=\"true\"></span>Not answering</span>")
                .Raw("</td><td data-label=\"Id\">").Raw(request.CanAct ? "<code>" : "<span class=\"jt-none\">").Text(request.CanAct ? instance.InstanceId : "shown to operators")
                .Raw(request.CanAct ? "</code>" : "</span>").Raw("</td><td data-label=\"Version\">").Text(instance.Version)
                .Raw("</td><td data-label=\"Started\">");
            Format.Time(html, instance.StartedAt);
            html.Raw("</td><td data-label=\"Last heartbeat\">");
            Format.Time(html, instance.LastHeartbeatAt);
            html.Raw(" <span class=\"jt-when\">").Text(Format.Duration(instance.SilentFor)).Text(" ago").Raw("</span></td><td data-label=\"Workers\">")
                .Text(instance.MaxConcurrency).Raw("</td><td data-label=\"Running jobs\">");
            if (instance.RunningJobs > 0)
            {
                html.Raw("<a").Attr("href", $"{request.Base}?status=Running&node={Uri.EscapeDataString(instance.Node)}")
                    .Attr("aria-label", $"{instance.RunningJobs} running jobs on node {instance.Node}")
                    .Raw(">").Text(instance.RunningJobs).Raw("</a>");
            }
            else
            {
                html.Text(0);
            }

            html.Raw("</td></tr>");
        }

        html.Raw("</tbody></table>");
        return Layout.Page(request, "Instances", counts, html, "instances");
    }
}
