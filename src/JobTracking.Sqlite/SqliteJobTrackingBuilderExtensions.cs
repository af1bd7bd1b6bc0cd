using JobTracking;
using JobTracking.Sqlite;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps jobs in a SQLite file: <c>services.AddJobTracking(b =&gt; b.UseSqlite("Data Source=jobs.db"))</c>.</summary>
public static class SqliteJobTrackingBuilderExtensions
{
    /// <summary>
    /// Keeps jobs in one SQLite file that survives restarts and crashes, for one process. The file is opened when the host starts, so
    /// a file that cannot be used (in use by another process, not a database, read-only, written by a newer version) stops start-up
    /// with a message naming it. Leases are judged by the host's <see cref="TimeProvider"/> service.
    /// </summary>
    /// <param name="builder">The JobTracking builder.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string naming a file, for example <c>Data Source=jobs.db</c>; a relative path is taken from the working folder.</param>
    /// <param name="configure">Changes the store's options; <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The connection string is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static JobTrackingBuilder UseSqlite(this JobTrackingBuilder builder, string connectionString, Action<SqliteJobStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = new SqliteJobStoreOptions();
        configure?.Invoke(options);
        options.Validate();

        builder.UseStore(services => SqliteJobStore.Open(connectionString, options, services.GetService<ILoggerFactory>(), services.GetService<TimeProvider>()));

        // Opening the store is the first thing the host starts, whatever else resolves it later.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SqliteStoreOpener>());
        return builder;
    }

    /// <summary>Resolving the store opens its file; that is all this service is for.</summary>
    private sealed class SqliteStoreOpener : IHostedService
    {
        public SqliteStoreOpener(IJobStore store) => ArgumentNullException.ThrowIfNull(store);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
