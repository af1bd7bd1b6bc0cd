using JobTracking.Dashboard;
using JobTracking.Dashboard.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the services of the JobTracking dashboard.</summary>
public static class JobTrackingDashboardServiceCollectionExtensions
{
    /// <summary>
    /// Adds what <c>app.MapJobTrackingDashboard("/jobs")</c> needs: its options (validated when the host starts),
    /// antiforgery, authorization and localization (the pages' texts, English by default and French; a host that calls
    /// <c>app.UseRequestLocalization(...)</c> with "en" and "fr" gets each reader's language). JobTracking itself is
    /// added with <c>AddJobTracking</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the policies, title and page size; <see langword="null"/> for the defaults (local requests only).</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddJobTrackingDashboard(this IServiceCollection services, Action<JobTrackingDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<JobTrackingDashboardOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JobTrackingDashboardOptions>, DashboardOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddAntiforgery();
        services.AddAuthorization();
        services.AddLocalization();
        services.TryAddSingleton<DashboardMarker>();
        services.TryAddSingleton<JobTracking.Dashboard.Commands.BulkResults>();
        return services;
    }
}
