using JobTracking;
using JobTracking.Definitions;
using JobTracking.Events;
using JobTracking.Feed;
using JobTracking.Hosting;
using JobTracking.Journal;
using JobTracking.Ownership;
using JobTracking.Queries;
using JobTracking.Running;
using JobTracking.Scheduling;
using JobTracking.Schedules;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds JobTracking to a service collection.</summary>
public static class JobTrackingServiceCollectionExtensions
{
    /// <summary>Adds the job engine, its scheduler (a hosted service), <see cref="IJobRunner"/>, <see cref="IJobEvents"/>, <see cref="IJobTracker"/>, <see cref="IJobSchedules"/> and, unless another is chosen, the in-memory store. Calling it again only adds to the configuration.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Registers job types, sets options, chooses the store.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddJobTracking(this IServiceCollection services, Action<JobTrackingBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        configure?.Invoke(new JobTrackingBuilder(services));

        services.AddOptions<JobTrackingOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JobTrackingOptions>, JobTrackingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<JobTrackingOptions>>().Value;
            return new InMemoryJobStore(sp.GetRequiredService<TimeProvider>(), options.QueueCapacity, options.MaxFinishedJobsInMemory);
        });
        services.TryAddSingleton<IJobStore>(sp => sp.GetRequiredService<InMemoryJobStore>());
        services.TryAddSingleton<IJobJournalStore>(sp => sp.GetRequiredService<InMemoryJobStore>());
        services.TryAddSingleton<IJobQueryStore>(sp => sp.GetRequiredService<InMemoryJobStore>());
        services.TryAddSingleton<IJobFeedStore>(sp =>
        {
            // The feed must be the store's own: events, waits and signals read the changes the store records.
            var store = sp.GetRequiredService<IJobStore>();
            return store as IJobFeedStore ?? throw new InvalidOperationException(
                $"The job store {store.GetType().FullName} does not implement IJobFeedStore, the change feed that events, waits and pause or cancel signals read. Implement it on the store (see docs/custom-stores.md in the JobTracking repository).");
        });
        services.TryAddSingleton<JobInstance>();
        services.TryAddSingleton(new RegisteredServices(services));
        services.TryAddSingleton<JobTypeRegistry>();
        services.TryAddSingleton(sp => new JobEventHub(sp.GetRequiredService<JobEngine>().Feed, (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<JobEventHub>()));
        services.TryAddSingleton<IJobEvents>(sp => sp.GetRequiredService<JobEventHub>());
        services.TryAddSingleton<JobEventHandlerSubscriptions>();
        services.TryAddSingleton<JobTrackingMetrics>();
        services.TryAddSingleton(sp => new JobJournalWriter(
            sp.GetRequiredService<IJobJournalStore>(),
            sp.GetRequiredService<IJobStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<JobTrackingOptions>>().Value,
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.TryAddSingleton(sp => new JobRetention(
            sp.GetRequiredService<IJobQueryStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<JobTrackingOptions>>().Value,
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.TryAddSingleton<JobEngine>();
        services.TryAddSingleton<JobScheduler>();
        services.TryAddSingleton<LeaseKeeper>();
        services.TryAddSingleton<InstanceHeartbeats>();
        services.TryAddSingleton<IJobRunner, JobRunner>();
        services.TryAddSingleton<IJobTracker, JobTracker>();
        services.TryAddSingleton<ScheduleStore>();
        services.TryAddSingleton<JobSchedules>();
        services.TryAddSingleton<IJobSchedules>(sp => sp.GetRequiredService<JobSchedules>());
        services.TryAddSingleton<ScheduleLoop>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, JobTrackingHostedService>());
        return services;
    }
}
