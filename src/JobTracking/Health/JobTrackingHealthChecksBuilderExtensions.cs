using JobTracking;
using JobTracking.Health;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the JobTracking health checks to a health checks builder.</summary>
public static class JobTrackingHealthChecksBuilderExtensions
{
    /// <summary>The default prefix of the checks' names: the checks are named <c>jobtracking-store</c> and <c>jobtracking-scheduler</c>.</summary>
    public const string DefaultName = "jobtracking";

    /// <summary>The tag every JobTracking check carries unless other tags are given.</summary>
    public const string DefaultTag = "jobtracking";

    /// <summary>
    /// Adds two checks of the JobTracking host registered with <c>services.AddJobTracking()</c>: <c>{name}-store</c>
    /// (the store answers a count of the jobs in time; degraded when the lease heartbeat failed or is late) and
    /// <c>{name}-scheduler</c> (the scheduler runs with its loops alive; degraded when the queue looks stuck).
    /// </summary>
    /// <param name="builder">The health checks builder, from <c>services.AddHealthChecks()</c>.</param>
    /// <param name="configure">Sets the checks' thresholds; they are validated when the host starts.</param>
    /// <param name="name">The prefix of the checks' names. Default: <see cref="DefaultName"/>.</param>
    /// <param name="failureStatus">The status reported when a check fails. Default: <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">The tags of both checks, to filter them. Default: <see cref="DefaultTag"/>.</param>
    /// <returns>The health checks builder.</returns>
    public static IHealthChecksBuilder AddJobTracking(
        this IHealthChecksBuilder builder,
        Action<JobTrackingHealthCheckOptions>? configure = null,
        string? name = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (name is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
        }

        var options = builder.Services.AddOptions<JobTrackingHealthCheckOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JobTrackingHealthCheckOptions>, JobTrackingHealthCheckOptionsValidator>());
        builder.Services.TryAddSingleton<JobStoreHealthCheck>();
        builder.Services.TryAddSingleton<JobSchedulerHealthCheck>();
        builder.Services.TryAddSingleton<QueueCountWanted>();

        var prefix = name ?? DefaultName;
        var tagList = tags?.ToArray() ?? [DefaultTag];
        builder.Add(new HealthCheckRegistration($"{prefix}-store", sp => sp.GetRequiredService<JobStoreHealthCheck>(), failureStatus, tagList));
        builder.Add(new HealthCheckRegistration($"{prefix}-scheduler", sp => sp.GetRequiredService<JobSchedulerHealthCheck>(), failureStatus, tagList));
        return builder;
    }
}
