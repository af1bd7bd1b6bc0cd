using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace JobTracking.Sqlite.Storage;

/// <summary>Opens a job store file: checks the connection string, takes the file lock, switches to WAL, creates or migrates the schema, and says clearly what is wrong when it cannot.</summary>
internal sealed class SqliteFile
{
    private SqliteFile(string path, SqliteFileLock fileLock, SqliteConnection writer, string readerConnectionString)
    {
        Path = path;
        FileLock = fileLock;
        Writer = writer;
        ReaderConnectionString = readerConnectionString;
    }

    /// <summary>Gets the full path of the database file.</summary>
    public string Path { get; }

    /// <summary>Gets the lock that keeps other stores off the file; the store releases it when it closes.</summary>
    public SqliteFileLock FileLock { get; }

    /// <summary>Gets the open writer connection, in WAL mode, with the schema up to date.</summary>
    public SqliteConnection Writer { get; }

    /// <summary>Gets the connection string of the read-only connections.</summary>
    public string ReaderConnectionString { get; }

    /// <exception cref="ArgumentException">The connection string is malformed or names no file.</exception>
    /// <exception cref="JobTrackingException">The file is in use, not a SQLite database, read-only, locked, written by a newer schema, or cannot be opened.</exception>
    public static SqliteFile Open(string connectionString, SqliteJobStoreOptions options, ILogger logger)
    {
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"The SQLite connection string is malformed: {ex.Message}", nameof(connectionString), ex);
        }

        var dataSource = builder.DataSource;
        if (string.IsNullOrWhiteSpace(dataSource) || dataSource.Trim() == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new ArgumentException(
                $"The SQLite job store needs a file (for example \"Data Source=jobs.db\"), not '{dataSource}'; for jobs kept in memory, leave out UseSqlite.", nameof(connectionString));
        }

        if (builder.Mode == SqliteOpenMode.ReadOnly)
        {
            throw new ArgumentException("The SQLite job store writes to its file; remove Mode=ReadOnly from the connection string.", nameof(connectionString));
        }

        var path = System.IO.Path.GetFullPath(dataSource);
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"The SQLite job store needs a file, but '{path}' is a folder; name a file in it, for example \"Data Source={System.IO.Path.Combine(path, "jobs.db")}\".", nameof(connectionString));
        }

        var folder = System.IO.Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
        {
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new JobTrackingException($"The job store file '{path}' cannot be created: its folder does not exist and cannot be created ({ex.Message}).", ex);
            }
        }

        var timeoutSeconds = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds);
        builder.DataSource = path;
        builder.Mode = SqliteOpenMode.ReadWriteCreate;
        builder.Pooling = false;
        builder.Cache = SqliteCacheMode.Private;
        builder.DefaultTimeout = timeoutSeconds;
        var writerConnectionString = builder.ToString();
        builder.Mode = SqliteOpenMode.ReadWrite;
        var readerConnectionString = builder.ToString();

        var fileLock = SqliteFileLock.Acquire(path);
        SqliteConnection? connection = null;
        try
        {
            connection = new SqliteConnection(writerConnectionString);
            connection.Open();
            var busyMilliseconds = (timeoutSeconds * 1000).ToString(CultureInfo.InvariantCulture);
            Execute(connection, $"PRAGMA busy_timeout = {busyMilliseconds}");
            var mode = Execute(connection, "PRAGMA journal_mode = WAL") as string;
            if (raw.sqlite3_db_readonly(connection.Handle, "main") == 1)
            {
                throw ReadOnly(path, null);
            }

            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new JobTrackingException($"The job store file '{path}' could not be switched to WAL mode (it stays in '{mode}' mode); the store needs a local file system that supports shared memory.");
            }

            Execute(connection, options.Synchronous == SqliteSynchronousMode.Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
            Execute(connection, "PRAGMA journal_size_limit = 67108864");
            // The statement journals of the writer's group transactions (one per write with a trigger or a savepoint) stay
            // in memory: in temporary files they cost about 36 page writes per job, ten times the database's own.
            Execute(connection, "PRAGMA temp_store = MEMORY");
            var found = SqliteSchema.EnsureCreated(connection, path);
            if (found != SqliteSchema.CurrentVersion)
            {
                Log.SchemaCreated(logger, path, found, SqliteSchema.CurrentVersion);
            }

            return new SqliteFile(path, fileLock, connection, readerConnectionString);
        }
        catch (Exception ex)
        {
            connection?.Dispose();
            fileLock.Dispose();
            throw ex switch
            {
                SqliteException sqlite => OpenError(path, sqlite, options),
                _ => ex,
            };
        }
    }

    /// <summary>The error to throw when a SQLite error stops the store from opening or from reading its file.</summary>
    public static JobTrackingException OpenError(string path, SqliteException ex, SqliteJobStoreOptions options) => ex.SqliteErrorCode switch
    {
        raw.SQLITE_NOTADB => new($"The file '{path}' is not a SQLite database (or it is encrypted), so it cannot hold jobs. Point UseSqlite at a new file or at a JobTracking job store.", ex),
        raw.SQLITE_CORRUPT => new($"The job store file '{path}' is damaged ({ex.Message}). Restore it from a backup, or move it away to start with an empty store.", ex),
        raw.SQLITE_READONLY => ReadOnly(path, ex),
        raw.SQLITE_BUSY or raw.SQLITE_LOCKED => new(
            $"The job store file '{path}' is locked by another program that is writing to it, and stayed locked for the busy timeout ({options.BusyTimeout.TotalSeconds:0.#} s). " +
            "Close the other program (a sqlite3 shell, a backup or another application), then start again.", ex),
        raw.SQLITE_CANTOPEN or raw.SQLITE_PERM or raw.SQLITE_AUTH => new($"The job store file '{path}' cannot be opened ({ex.Message}): check that it is a file, and that the process may read and write it and its folder.", ex),
        raw.SQLITE_FULL => new($"The job store file '{path}' cannot be written: the disk is full.", ex),
        raw.SQLITE_IOERR => new($"The job store file '{path}' cannot be read or written: an I/O error ({ex.Message}).", ex),
        _ => new($"The job store file '{path}' cannot be opened: {ex.Message}", ex),
    };

    public static object? Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static JobTrackingException ReadOnly(string path, Exception? inner) => new(
        $"The job store file '{path}' is read-only: the file, its folder, or its -wal and -shm files beside it cannot be written. The store needs write access to all of them.", inner);
}
