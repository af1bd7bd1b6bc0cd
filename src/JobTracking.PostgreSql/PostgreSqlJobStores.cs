using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobTracking.PostgreSql;

/// <summary>Opens PostgreSQL job stores without dependency injection, for tests (such as the conformance kit) and tools.</summary>
public static class PostgreSqlJobStores
{
    /// <summary>Opens the job store in a PostgreSQL schema, creating the schema and its tables on first use and upgrading an older version.</summary>
    /// <param name="connectionString">An Npgsql connection string, for example <c>Host=db;Database=app;Username=jobs;Password=...</c>.</param>
    /// <param name="options">Where and how the store keeps its tables; <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Where the store logs; <see langword="null"/> for nowhere.</param>
    /// <param name="cancellationToken">Stops waiting for the server.</param>
    /// <returns>The open store; dispose it to close its connections.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or malformed, or an option is out of range.</exception>
    /// <exception cref="JobTrackingException">The schema was written by a newer version of this package, or holds tables that are not a job store's.</exception>
    /// <exception cref="NpgsqlException">The server cannot be reached or refused the connection.</exception>
    public static async Task<PostgreSqlJobStore> OpenAsync(string connectionString, PostgreSqlJobStoreOptions? options, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        var dataSource = CreateDataSource(connectionString, loggerFactory);
        return await OpenAsync(dataSource, ownsDataSource: true, options, loggerFactory, null, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens the job store in a PostgreSQL schema through the application's data source, creating the schema and its tables on first use and upgrading an older version.</summary>
    /// <param name="dataSource">The data source the store takes its connections from; the store does not dispose it.</param>
    /// <param name="options">Where and how the store keeps its tables; <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Where the store logs; <see langword="null"/> for nowhere.</param>
    /// <param name="cancellationToken">Stops waiting for the server.</param>
    /// <returns>The open store; dispose it to stop its writer and listener.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="JobTrackingException">The schema was written by a newer version of this package, or holds tables that are not a job store's.</exception>
    /// <exception cref="NpgsqlException">The server cannot be reached or refused the connection.</exception>
    public static Task<PostgreSqlJobStore> OpenAsync(NpgsqlDataSource dataSource, PostgreSqlJobStoreOptions? options, ILoggerFactory? loggerFactory, CancellationToken cancellationToken) =>
        OpenAsync(dataSource, ownsDataSource: false, options, loggerFactory, null, null, cancellationToken);

    /// <summary>Opens the job store in a PostgreSQL schema with the default options (schema <c>jobtracking</c>).</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <returns>The open store; dispose it to close its connections.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or malformed.</exception>
    /// <exception cref="JobTrackingException">The schema was written by a newer version of this package, or holds tables that are not a job store's.</exception>
    /// <exception cref="NpgsqlException">The server cannot be reached or refused the connection.</exception>
    public static Task<PostgreSqlJobStore> OpenAsync(string connectionString) => OpenAsync(connectionString, null, null, CancellationToken.None);

    /// <summary>Opens the job store in a PostgreSQL schema through the application's data source, with the default options.</summary>
    /// <param name="dataSource">The data source the store takes its connections from; the store does not dispose it.</param>
    /// <returns>The open store; dispose it to stop its writer and listener.</returns>
    /// <exception cref="JobTrackingException">The schema was written by a newer version of this package, or holds tables that are not a job store's.</exception>
    /// <exception cref="NpgsqlException">The server cannot be reached or refused the connection.</exception>
    public static Task<PostgreSqlJobStore> OpenAsync(NpgsqlDataSource dataSource) => OpenAsync(dataSource, null, null, CancellationToken.None);

    /// <summary>A data source for a connection string, with statements prepared automatically (the store runs the same few statements again and again) and no reset of pooled connections, unless the connection string says otherwise.</summary>
    internal static NpgsqlDataSource CreateDataSource(string connectionString, ILoggerFactory? loggerFactory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        NpgsqlConnectionStringBuilder settings;
        try
        {
            settings = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"The PostgreSQL connection string is malformed: {ex.Message}", nameof(connectionString), ex);
        }

        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase) && !connectionString.Contains("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            settings.MaxAutoPrepare = 64;
        }

        // The store changes no session state on its connections, so a connection handed back to the pool needs no reset
        // (which would cost a transaction and, with prepared statements, several statements per read).
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase) && !connectionString.Contains("ResetOnClose", StringComparison.OrdinalIgnoreCase))
        {
            settings.NoResetOnClose = true;
        }

        var builder = new NpgsqlDataSourceBuilder(settings.ConnectionString);
        if (loggerFactory is not null)
        {
            builder.UseLoggerFactory(loggerFactory);
        }

        return builder.Build();
    }

    internal static async Task<PostgreSqlJobStore> OpenAsync(
        NpgsqlDataSource dataSource, bool ownsDataSource, PostgreSqlJobStoreOptions? options, ILoggerFactory? loggerFactory, TimeProvider? time, TimeProvider? leaseClock, CancellationToken cancellationToken)
    {
        var store = new PostgreSqlJobStore(dataSource, ownsDataSource, options ?? new PostgreSqlJobStoreOptions(), loggerFactory, time, leaseClock);
        try
        {
            await store.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
