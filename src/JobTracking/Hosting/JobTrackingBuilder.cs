using JobTracking.Definitions;
using JobTracking.Events;
using JobTracking.Schedules;
using Microsoft.Extensions.DependencyInjection;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace JobTracking;

/// <summary>Configures JobTracking inside <c>services.AddJobTracking(builder =&gt; ...)</c>: job types, options and the store.</summary>
public sealed class JobTrackingBuilder
{
    internal JobTrackingBuilder(IServiceCollection services)
    {
        Services = services;
    }

    /// <summary>Gets the service collection, for store packages that plug in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Registers a job type. Each run resolves a new <typeparamref name="TDefinition"/>, from a scope of its own when it takes scoped or disposable services (disposed when the job's code is done), so it may take scoped services.</summary>
    /// <typeparam name="TDefinition">A class implementing <see cref="IJobDefinition{TParameters}"/> exactly once.</typeparam>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><typeparamref name="TDefinition"/> implements no <see cref="IJobDefinition{TParameters}"/>, or more than one.</exception>
    public JobTrackingBuilder AddJob<TDefinition>()
        where TDefinition : class, IJobDefinition => AddJobCore<TDefinition>(null);

    /// <summary>Registers a job type with its retry policy and timeout: <c>AddJob&lt;ImportJob&gt;(o =&gt; { o.MaxAttempts = 3; o.Timeout = TimeSpan.FromHours(2); })</c>.</summary>
    /// <remarks><paramref name="configure"/> runs on the type's <see cref="JobTrackingOptions.JobTypes"/> entry after configuration is bound, so code has the last word; the values are checked when the host starts.</remarks>
    /// <typeparam name="TDefinition">A class implementing <see cref="IJobDefinition{TParameters}"/> exactly once.</typeparam>
    /// <param name="configure">Sets the type's <see cref="JobTypeOptions"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><typeparamref name="TDefinition"/> implements no <see cref="IJobDefinition{TParameters}"/>, or more than one.</exception>
    public JobTrackingBuilder AddJob<TDefinition>(Action<JobTypeOptions> configure)
        where TDefinition : class, IJobDefinition
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddJobCore<TDefinition>(configure);
    }

    private JobTrackingBuilder AddJobCore<TDefinition>(Action<JobTypeOptions>? configure)
        where TDefinition : class, IJobDefinition
    {
        var definitions = typeof(TDefinition).GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IJobDefinition<>))
            .ToList();
        if (definitions.Count != 1)
        {
            throw new ArgumentException(
                $"{typeof(TDefinition).FullName} must implement IJobDefinition<TParameters> exactly once; it implements it {definitions.Count} times.",
                nameof(TDefinition));
        }

        Services.TryAddTransient<TDefinition>();
        Services.AddSingleton(new JobTypeRegistration(typeof(TDefinition), definitions[0].GetGenericArguments()[0], configure));
        return this;
    }

    /// <summary>Registers a handler class for job events; it is resolved from a new scope for each event, so it may take scoped services.</summary>
    /// <typeparam name="THandler">The handler. Registered as scoped unless already registered.</typeparam>
    /// <param name="options">Filters and buffer; <see langword="null"/> for every event with the defaults.</param>
    /// <returns>This builder.</returns>
    public JobTrackingBuilder AddEventHandler<THandler>(JobSubscriptionOptions? options = null)
        where THandler : class, IJobEventHandler
    {
        Services.TryAddScoped<THandler>();
        Services.AddSingleton(new JobEventHandlerRegistration(typeof(THandler), options));
        return this;
    }

    /// <summary>Declares a recurring schedule, applied at every start-up: created when missing, left as it is when its definition is unchanged (nothing is written), updated when it changed (keeping its last occurrence, its last job and whether it is paused). See <see cref="IJobSchedules"/>.</summary>
    /// <remarks>The id, cron expression, time zone, options and the parameters' type are checked here; the parameters' validation and the job type's registration (<see cref="AddJob{TDefinition}()"/>) are checked when the host starts, which then fails naming the schedule. A schedule removed from the code is not deleted from the store: delete it with <see cref="IJobSchedules.DeleteAsync"/>.</remarks>
    /// <typeparam name="TJob">The job definition each occurrence starts, registered with <see cref="AddJob{TDefinition}()"/>.</typeparam>
    /// <param name="scheduleId">The schedule's id, 1 to <see cref="JobScheduleRecord.MaxIdLength"/> characters (e.g. "nightly-import").</param>
    /// <param name="parameters">The parameters of each job: an instance of the type <typeparamref name="TJob"/> takes.</param>
    /// <param name="cron">Five fields (minute hour day-of-month month day-of-week), or six with seconds first (e.g. "0 2 * * *").</param>
    /// <param name="options">Time zone, misfire, overlap, display name, priority, concurrency key; <see langword="null"/> for defaults (UTC).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The id, the cron expression (the message is Cronos's), the time zone or an option is invalid, the parameters are not of the type <typeparamref name="TJob"/> takes, or another schedule was declared with this id.</exception>
    public JobTrackingBuilder AddSchedule<TJob>(string scheduleId, object parameters, string cron, JobScheduleOptions? options = null)
        where TJob : class, IJobDefinition
    {
        JobSchedules.CheckId(scheduleId);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrWhiteSpace(cron);
        options ??= new JobScheduleOptions();
        JobSchedules.CheckOptions(options);
        _ = CronSchedule.Parse(cron, options.TimeZone);
        var parametersType = typeof(TJob).GetInterfaces()
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IJobDefinition<>))?
            .GetGenericArguments()[0];
        if (parametersType is not null && !parametersType.IsInstanceOfType(parameters))
        {
            throw new ArgumentException(
                $"Schedule '{scheduleId}': {typeof(TJob).Name} takes parameters of type {parametersType.FullName}, not {parameters.GetType().FullName}.", nameof(parameters));
        }

        if (Services.Any(d => d.ImplementationInstance is ScheduleDeclaration declared && string.Equals(declared.ScheduleId, scheduleId, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"A schedule with id '{scheduleId}' is already declared; each declared schedule needs its own id.", nameof(scheduleId));
        }

        Services.AddSingleton(new ScheduleDeclaration(scheduleId, typeof(TJob), parameters, cron, options));
        return this;
    }

    /// <summary>Changes the options in code; they are validated when the host starts.</summary>
    /// <param name="configure">Sets option values.</param>
    /// <returns>This builder.</returns>
    public JobTrackingBuilder Configure(Action<JobTrackingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>Keeps jobs in a store of your own instead of the in-memory one: one object that implements the four store contracts.</summary>
    /// <typeparam name="TStore">The store, created once per container.</typeparam>
    /// <returns>This builder.</returns>
    public JobTrackingBuilder UseStore<TStore>()
        where TStore : class, IJobStore, IJobJournalStore, IJobQueryStore, IJobFeedStore
    {
        Services.Replace(ServiceDescriptor.Singleton<TStore, TStore>());
        return Register(sp => sp.GetRequiredService<TStore>());
    }

    /// <summary>Keeps jobs in a store built by <paramref name="factory"/> instead of the in-memory one.</summary>
    /// <typeparam name="TStore">The store's type: it implements the four store contracts.</typeparam>
    /// <param name="factory">Builds the store, once per container.</param>
    /// <returns>This builder.</returns>
    public JobTrackingBuilder UseStore<TStore>(Func<IServiceProvider, TStore> factory)
        where TStore : class, IJobStore, IJobJournalStore, IJobQueryStore, IJobFeedStore
    {
        ArgumentNullException.ThrowIfNull(factory);
        var registration = new StoreRegistration<TStore>(factory);
        Services.Replace(ServiceDescriptor.Singleton(registration));
        return Register(sp => sp.GetRequiredService<StoreRegistration<TStore>>().Get(sp));
    }

    /// <summary>Keeps jobs in <paramref name="store"/>, a store made beforehand (for example a decorator around <see cref="InMemoryJobStore"/>).</summary>
    /// <typeparam name="TStore">The store's type: it implements the four store contracts.</typeparam>
    /// <param name="store">The store; the container does not dispose it.</param>
    /// <returns>This builder.</returns>
    public JobTrackingBuilder UseStore<TStore>(TStore store)
        where TStore : class, IJobStore, IJobJournalStore, IJobQueryStore, IJobFeedStore
    {
        ArgumentNullException.ThrowIfNull(store);
        return Register(_ => store);
    }

    private JobTrackingBuilder Register<TStore>(Func<IServiceProvider, TStore> store)
        where TStore : class, IJobStore, IJobJournalStore, IJobQueryStore, IJobFeedStore
    {
        Services.Replace(ServiceDescriptor.Singleton<IJobStore>(sp => store(sp)));
        Services.Replace(ServiceDescriptor.Singleton<IJobJournalStore>(sp => store(sp)));
        Services.Replace(ServiceDescriptor.Singleton<IJobQueryStore>(sp => store(sp)));
        Services.Replace(ServiceDescriptor.Singleton<IJobFeedStore>(sp => store(sp)));
        return this;
    }

    /// <summary>Builds a store from its factory once, whichever of its contracts is asked for first.</summary>
    private sealed class StoreRegistration<TStore>(Func<IServiceProvider, TStore> factory)
        where TStore : class
    {
        private readonly Lock _lock = new();
        private TStore? _store;

        public TStore Get(IServiceProvider services)
        {
            lock (_lock)
            {
                return _store ??= factory(services);
            }
        }
    }
}
