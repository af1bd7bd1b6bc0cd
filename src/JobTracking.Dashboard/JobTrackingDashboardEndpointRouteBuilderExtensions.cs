using JobTracking;
using JobTracking.Dashboard.Api;
using JobTracking.Dashboard.Live;
using JobTracking.Dashboard.Routing;
using JobTracking.Dashboard.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the JobTracking dashboard into an ASP.NET Core app: <c>app.MapJobTrackingDashboard("/jobs")</c>.</summary>
public static class JobTrackingDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the process tracker, the job pages, the commands, the schedules and instances pages, the live stream (<c>{path}/events</c>), the "last operations"
    /// fragment (<c>{path}/last-operations</c>) and the JSON API (<c>{path}/api/...</c>) under <paramref name="path"/>.
    /// Who may read and act is set with <c>services.AddJobTrackingDashboard(options =&gt; ...)</c>; by default, local requests only.
    /// </summary>
    /// <param name="endpoints">The app (or another endpoint route builder).</param>
    /// <param name="path">Where the dashboard lives, for example <c>/jobs</c>: a literal path starting with <c>/</c>.</param>
    /// <returns>The endpoints' convention builder, to add conventions such as <c>RequireHost</c>.</returns>
    /// <exception cref="ArgumentException">The path is empty, does not start with <c>/</c>, or has route parameters.</exception>
    /// <exception cref="InvalidOperationException"><c>AddJobTrackingDashboard</c> or <c>AddJobTracking</c> was not called.</exception>
    public static IEndpointConventionBuilder MapJobTrackingDashboard(this IEndpointRouteBuilder endpoints, string path = "/jobs")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('/') || path.Contains('{', StringComparison.Ordinal) || path.Contains('}', StringComparison.Ordinal)
            || path.Contains('?', StringComparison.Ordinal) || path.Contains('#', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The dashboard's path '{path}' must be a literal path that starts with '/', such as '/jobs'.", nameof(path));
        }

        if (endpoints.ServiceProvider.GetService<DashboardMarker>() is null)
        {
            throw new InvalidOperationException("The JobTracking dashboard's services are missing: call builder.Services.AddJobTrackingDashboard() before app.MapJobTrackingDashboard().");
        }

        if (endpoints.ServiceProvider.GetService<IJobTracker>() is null)
        {
            throw new InvalidOperationException("JobTracking is missing: call builder.Services.AddJobTracking(...) before app.MapJobTrackingDashboard().");
        }

        if (endpoints.ServiceProvider.GetRequiredService<IOptions<JobTracking.Dashboard.JobTrackingDashboardOptions>>().Value.ReadPolicy is null)
        {
            JobTracking.Dashboard.Log.NoReadPolicy(endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("JobTracking.Dashboard"), path);
        }

        var prefix = path.TrimEnd('/');
        var group = endpoints.MapGroup(prefix.Length == 0 ? "/" : prefix);
        var read = DashboardRight.Read;
        var act = DashboardRight.Act;

        group.MapGet("/", DashboardEndpoint.Handle(prefix, read, api: false, PageHandlers.TrackerAsync));
        group.MapGet("/rows/{id:guid}", DashboardEndpoint.Handle(prefix, read, api: false, PageHandlers.RowAsync));
        group.MapGet("/rows", DashboardEndpoint.Handle(prefix, read, api: false, TrackerRows.RowsAsync));
        group.MapGet("/{id:guid}", DashboardEndpoint.Handle(prefix, read, api: false, PageHandlers.JobAsync));
        group.MapGet("/{id:guid}/rejects.csv", DashboardEndpoint.Handle(prefix, read, api: false, PageHandlers.RejectsCsvAsync));
        group.MapGet("/{id:guid}/log.csv", DashboardEndpoint.Handle(prefix, read, api: false, PageHandlers.LogCsvAsync));
        group.MapPost("/{id:guid}/{command}", DashboardEndpoint.Handle(prefix, act, api: false, PageHandlers.CommandAsync));
        group.MapPost("/bulk", DashboardEndpoint.Handle(prefix, act, api: false, PageHandlers.BulkAsync));
        group.MapGet("/bulk/{key}", DashboardEndpoint.Handle(prefix, act, api: false, PageHandlers.BulkResultAsync));
        group.MapGet("/schedules", DashboardEndpoint.Handle(prefix, read, api: false, ScheduleHandlers.PageAsync));
        group.MapPost("/schedules/{command}", DashboardEndpoint.Handle(prefix, act, api: false, ScheduleHandlers.CommandAsync));
        group.MapGet("/instances", DashboardEndpoint.Handle(prefix, read, api: false, InstanceHandlers.PageAsync));
        group.MapGet("/last-operations", DashboardEndpoint.Handle(prefix, read, api: false, PageHandlers.LastOperationsAsync));
        group.MapGet("/events", DashboardEndpoint.Handle(prefix, read, api: false, LiveEvents.StreamAsync));
        group.MapGet("/assets/{name}", DashboardEndpoint.Handle(prefix, read, api: false, PageHandlers.AssetAsync));

        group.MapGet("/api/jobs", DashboardEndpoint.Handle(prefix, read, api: true, ApiHandlers.ListAsync));
        group.MapGet("/api/jobs/{id:guid}", DashboardEndpoint.Handle(prefix, read, api: true, ApiHandlers.JobAsync));
        group.MapGet("/api/jobs/{id:guid}/log", DashboardEndpoint.Handle(prefix, read, api: true, ApiHandlers.LogAsync));
        group.MapGet("/api/jobs/{id:guid}/rejects", DashboardEndpoint.Handle(prefix, read, api: true, ApiHandlers.RejectsAsync));
        group.MapGet("/api/jobs/{id:guid}/history", DashboardEndpoint.Handle(prefix, read, api: true, ApiHandlers.HistoryAsync));
        group.MapGet("/api/counts", DashboardEndpoint.Handle(prefix, read, api: true, ApiHandlers.CountsAsync));
        group.MapGet("/api/last-operations", DashboardEndpoint.Handle(prefix, read, api: true, ApiHandlers.LastOperationsAsync));
        group.MapGet("/api/instances", DashboardEndpoint.Handle(prefix, read, api: true, InstanceHandlers.ApiAsync));
        group.MapGet("/api/antiforgery", DashboardEndpoint.Handle(prefix, act, api: true, ApiHandlers.AntiforgeryAsync));
        group.MapPost("/api/jobs/{id:guid}/{command}", DashboardEndpoint.Handle(prefix, act, api: true, ApiHandlers.CommandAsync));
        group.MapPost("/api/bulk", DashboardEndpoint.Handle(prefix, act, api: true, ApiHandlers.BulkAsync));
        return group;
    }
}
