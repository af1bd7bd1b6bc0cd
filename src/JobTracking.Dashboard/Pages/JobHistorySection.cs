using JobTracking.Dashboard.Api;

namespace JobTracking.Dashboard.Pages;

/// <summary>The History tab of the job page: the job's timeline, oldest first, with who did what and why.</summary>
internal static class JobHistorySection
{
    public static void Render(Html html, DashboardText text, IReadOnlyList<HistoryEntryView> entries)
    {
        html.Raw("<section class=\"jt-tab\" id=\"jt-history\">");
        if (entries.Count == 0)
        {
            html.Raw("<p class=\"jt-empty\">").Text(text["History.Empty"]).Raw("</p>");
        }
        else
        {
            html.Raw("<table class=\"jt-table jt-history\"><thead><tr>")
                .Cells("th", text["Column.Time"], text["History.What"], text["Column.Status"], text["History.By"], text["Column.Reason"], text["History.Where"], text["Column.Attempt"])
                .Raw("</tr></thead><tbody>");
            foreach (var entry in entries)
            {
                html.Raw("<tr").Attr("class", "jt-history-" + entry.Kind.ToString().ToLowerInvariant()).Raw("><td>");
                Format.Time(html, entry.At);
                html.Raw("</td><td>").Text(What(text, entry.Kind)).Raw("</td><td>");
                if (entry.FromStatus is { } from)
                {
                    html.Text(StatusLabels.Label(text, from)).Raw(" → ");
                }

                html.Text(entry.ToStatus is { } to ? StatusLabels.Label(text, to) : entry.FromStatus is null ? "—" : "").Raw("</td><td>")
                    .Text(entry.Actor ?? "—").Raw("</td><td class=\"jt-message\">").Text(entry.Reason ?? "—").Raw("</td><td>")
                    .Text(Where(entry)).Raw("</td><td>").Text(entry.Attempt).Raw("</td></tr>");
            }

            html.Raw("</tbody></table>");
        }

        html.Raw("</section>");
    }

    private static string What(DashboardText text, JobHistoryKind kind) => Enum.IsDefined(kind) ? text["History.Kind." + kind] : kind.ToString();

    private static string Where(HistoryEntryView entry) => (entry.Node, entry.Instance) switch
    {
        (null, null) => "—",
        ({ } node, null) => node,
        (null, { } instance) => instance,
        ({ } node, { } instance) => $"{node} ({instance})",
    };
}
