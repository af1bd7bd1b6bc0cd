using Microsoft.Extensions.Logging;

namespace JobTracking.Sqlite;

/// <summary>Opens SQLite job stores without dependency injection, for tests (such as the conformance kit) and tools.</summary>
public static class SqliteJobStores
{
    /// <summary>Opens the job store in a SQLite file, creating the file and its tables on first use and upgrading an older schema.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string naming a file, for example <c>Data Source=jobs.db</c>.</param>
    /// <param name="options">How the store writes; <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Where the store logs that it opened or upgraded the file; <see langword="null"/> for nowhere.</param>
    /// <param name="timeProvider">The store's clock, which leases are judged by; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <returns>The open store. Dispose it to close the file and let another process open it.</returns>
    /// <exception cref="ArgumentException">The connection string is malformed or names no file (for example <c>:memory:</c>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="JobTrackingException">
    /// The file is in use by another process, is not a SQLite database, is read-only, is locked by another program, was written by a
    /// newer version of this package, or cannot be opened; the message names the file and what is wrong.
    /// </exception>
    public static SqliteJobStore Open(string connectionString, SqliteJobStoreOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null) =>
        SqliteJobStore.Open(connectionString, options ?? new SqliteJobStoreOptions(), loggerFactory, timeProvider);
}
