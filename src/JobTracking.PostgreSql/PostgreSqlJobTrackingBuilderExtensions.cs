using JobTracking;
using JobTracking.PostgreSql;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps jobs in PostgreSQL, shared by several instances: <c>services.AddJobTracking(b =&gt; b.UsePostgreSql(connectionString))</c>.</summary>
public static class PostgreSqlJobTrackingBuilderExtensions
{
    /// <summary>
    /// Keeps jobs in a PostgreSQL schema that every instance pointed at it shares: one queue, each job run by one instance at a
    /// time, a dead instance's jobs taken over by a live one, and pause, cancel and events across instances. The schema is
    /// created or migrated when the host starts, so a server that cannot be used stops start-up with a message naming it.
    /// </summary>
    /// <param name="builder">The JobTracking builder.</param>
    /// <param name="connectionString">An Npgsql connection string, for example <c>Host=db;Database=app;Username=jobs;Password=...</c>.</param>
    /// <param name="configure">Changes the store's options; <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or malformed, or an option is out of range.</exception>
    public static JobTrackingBuilder UsePostgreSql(this JobTrackingBuilder builder, string connectionString, Action<PostgreSqlJobStoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // A malformed connection string is refused here, at registration, not when the host starts.
        PostgreSqlJobStores.CreateDataSource(connectionString, null).Dispose();
        var options = Options(configure);
        return Register(builder, options, services =>
            (PostgreSqlJobStores.CreateDataSource(connectionString, services.GetService<ILoggerFactory>()), true));
    }

    /// <summary>Keeps jobs in a PostgreSQL schema, through the given data source (the application keeps it and disposes it); see <see cref="UsePostgreSql(JobTrackingBuilder, string, Action{PostgreSqlJobStoreOptions}?)"/>.</summary>
    /// <param name="builder">The JobTracking builder.</param>
    /// <param name="dataSource">The data source the store takes its connections from.</param>
    /// <param name="configure">Changes the store's options; <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static JobTrackingBuilder UsePostgreSql(this JobTrackingBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlJobStoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return Register(builder, Options(configure), _ => (dataSource, false));
    }

    /// <summary>Keeps jobs in a PostgreSQL schema, through the <see cref="NpgsqlDataSource"/> registered in the application's services (for example by <c>AddNpgsqlDataSource</c>); see <see cref="UsePostgreSql(JobTrackingBuilder, string, Action{PostgreSqlJobStoreOptions}?)"/>.</summary>
    /// <param name="builder">The JobTracking builder.</param>
    /// <param name="configure">Changes the store's options; <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static JobTrackingBuilder UsePostgreSql(this JobTrackingBuilder builder, Action<PostgreSqlJobStoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return Register(builder, Options(configure), services =>
            (services.GetService<NpgsqlDataSource>()
                ?? throw new InvalidOperationException("UsePostgreSql() without a connection string takes the NpgsqlDataSource registered in the services, and none is; register one (AddNpgsqlDataSource) or pass a connection string."), false));
    }

    /// <summary>Keeps jobs in a PostgreSQL schema with the default options; see <see cref="UsePostgreSql(JobTrackingBuilder, string, Action{PostgreSqlJobStoreOptions}?)"/>.</summary>
    /// <param name="builder">The JobTracking builder.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or malformed.</exception>
    public static JobTrackingBuilder UsePostgreSql(this JobTrackingBuilder builder, string connectionString) => UsePostgreSql(builder, connectionString, null);

    /// <summary>Keeps jobs in a PostgreSQL schema through the given data source, with the default options; see <see cref="UsePostgreSql(JobTrackingBuilder, string, Action{PostgreSqlJobStoreOptions}?)"/>.</summary>
    /// <param name="builder">The JobTracking builder.</param>
    /// <param name="dataSource">The data source the store takes its connections from; the application keeps it and disposes it.</param>
    /// <returns>The builder.</returns>
    public static JobTrackingBuilder UsePostgreSql(this JobTrackingBuilder builder, NpgsqlDataSource dataSource) => UsePostgreSql(builder, dataSource, null);

    /// <summary>Keeps jobs in a PostgreSQL schema through the <see cref="NpgsqlDataSource"/> registered in the application's services, with the default options.</summary>
    /// <param name="builder">The JobTracking builder.</param>
    /// <returns>The builder.</returns>
    public static JobTrackingBuilder UsePostgreSql(this JobTrackingBuilder builder) => UsePostgreSql(builder, (Action<PostgreSqlJobStoreOptions>?)null);

    private static PostgreSqlJobStoreOptions Options(Action<PostgreSqlJobStoreOptions>? configure)
    {
        var options = new PostgreSqlJobStoreOptions();
        configure?.Invoke(options);
        options.Validate();
        return options;
    }

    private static JobTrackingBuilder Register(JobTrackingBuilder builder, PostgreSqlJobStoreOptions options, Func<IServiceProvider, (NpgsqlDataSource DataSource, bool Owned)> dataSource)
    {
        builder.UseStore(services =>
        {
            var (source, owned) = dataSource(services);
            return new PostgreSqlJobStore(source, owned, options, services.GetService<ILoggerFactory>(), services.GetService<TimeProvider>(), leaseClock: null);
        });

        // The schema is created or migrated before anything else starts; a server that cannot be used stops start-up.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgreSqlStoreOpener>());
        return builder;
    }

    private sealed class PostgreSqlStoreOpener(IJobStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            store is PostgreSqlJobStore postgres ? postgres.EnsureOpenAsync(cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
