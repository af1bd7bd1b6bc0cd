using JobTracking.Dashboard.Pages;
using JobTracking.Dashboard.Queries;

namespace JobTracking.Dashboard.Routing;

/// <summary>
/// Several rows of the tracker in one answer (<c>rows?id=...&amp;id=...</c> with the page's filters), for the jobs that
/// appeared while a page was open: the live page asks for all the rows it needs at once instead of one request per job.
/// </summary>
internal static class TrackerRows
{
    /// <summary>The most rows one request asks for; their ids and the filters fit in a request line.</summary>
    public const int MaxIds = 100;

    /// <summary>
    /// Answers the rows of the jobs named that exist and match the page's filters, in the order given (a job purged or
    /// filtered out is left out); 400 naming the first wrong id, or when none or more than <see cref="MaxIds"/> are given.
    /// </summary>
    public static async Task RowsAsync(DashboardRequest request)
    {
        var ids = Ids(request);
        var filter = request.Filter();
        var now = request.Clock.GetUtcNow();
        var html = new Html();
        foreach (var id in ids)
        {
            JobRecord job;
            try
            {
                job = await request.Tracker.GetAsync(id, request.Aborted).ConfigureAwait(false);
            }
            catch (JobNotFoundException)
            {
                continue;
            }

            if (filter.Matches(job))
            {
                TrackerPage.Row(html, request, job, now);
            }
        }

        await Responses.HtmlAsync(request.Http, html.ToString()).ConfigureAwait(false);
    }

    private static List<Guid> Ids(DashboardRequest request)
    {
        var values = request.Http.Request.Query["id"];
        if (values.Count == 0)
        {
            throw new DashboardInputException(new LocalText("Input.NoIds", MaxIds));
        }

        if (values.Count > MaxIds)
        {
            throw new DashboardInputException(new LocalText("Input.TooManyRows", values.Count, MaxIds));
        }

        return [.. PageHandlers.ParseIds(values).Distinct()];
    }
}
