using JobTracking.Dashboard.Api;
using JobTracking.Dashboard.Pages;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Dashboard.Routing;

/// <summary>The instances page and its JSON, through <see cref="IJobTracker.GetInstancesAsync"/>.</summary>
internal static class InstanceHandlers
{
    public static async Task PageAsync(DashboardRequest request)
    {
        var instances = await ListAsync(request).ConfigureAwait(false);
        var counts = await request.Tracker.CountAsync(request.Aborted).ConfigureAwait(false);
        await Responses.HtmlAsync(request.Http, InstancesPage.Render(request, counts, instances)).ConfigureAwait(false);
    }

    public static async Task ApiAsync(DashboardRequest request)
    {
        var instances = await ListAsync(request).ConfigureAwait(false);
        await Responses.JsonAsync(request.Http, new InstanceListView(instances is not null, [.. (instances ?? []).Select(i => InstanceView.From(i, request.CanAct))])).ConfigureAwait(false);
    }

    // Null when the store keeps no list: the page says so instead of failing.
    private static async Task<IReadOnlyList<JobInstanceInfo>?> ListAsync(DashboardRequest request) =>
        request.Http.RequestServices.GetRequiredService<IJobStore>() is IJobInstanceStore
            ? await request.Tracker.GetInstancesAsync(request.Aborted).ConfigureAwait(false)
            : null;
}
