using JobTracking.Definitions;
using JobTracking.Events;
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

    /// <summary>Registers a job type. Each run resolves a new <typeparamref name="TDefinition"/> from a scope of its own, so it may take scoped services.</summary>
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
