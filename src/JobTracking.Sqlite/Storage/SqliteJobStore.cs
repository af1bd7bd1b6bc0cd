using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SQLitePCL;

namespace JobTracking.Sqlite.Storage;

/// <summary>A durable store in one SQLite file (WAL mode) for one process.</summary>
/// <remarks>
/// Writes go through one connection owned by <see cref="SqliteWriter"/>, which commits whatever has queued in one
/// transaction; a call returns once its write is committed. Reads use connections of their own and never wait for
/// writes. Every status change is an <c>UPDATE ... WHERE id AND status AND version</c>: one row changed means won.
/// </remarks>
internal sealed class SqliteJobStore : IJobStore, IAsyncDisposable, IDisposable
{
    private const int MaxIdleReaders = 8;

    private readonly string _readerConnectionString;
    private readonly SqliteFileLock _fileLock;
    private readonly SqliteWriter _writer;
    private readonly ConcurrentBag<SqliteReadSession> _readers = [];
    private int _disposed;

    private SqliteJobStore(string path, string readerConnectionString, SqliteFileLock fileLock, SqliteWriteSession session)
    {
        Path = path;
        _readerConnectionString = readerConnectionString;
        _fileLock = fileLock;
        _writer = new SqliteWriter(session);
    }

    /// <summary>Gets the full path of the database file.</summary>
    public string Path { get; }

    public bool IsShared => false;

    /// <summary>Opens (and creates or migrates) the store's file, or says clearly what is wrong with it.</summary>
    /// <exception cref="ArgumentException">The connection string is malformed or names no file.</exception>
    /// <exception cref="JobTrackingException">The file is in use, not a SQLite database, read-only, locked, written by a newer schema, or cannot be opened.</exception>
    public static SqliteJobStore Open(string connectionString, SqliteJobStoreOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("JobTracking.Sqlite");

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
            var found = SqliteSchema.EnsureCreated(connection, path);
            if (found != SqliteSchema.CurrentVersion)
            {
                Log.SchemaCreated(logger, path, found, SqliteSchema.CurrentVersion);
            }

            var store = new SqliteJobStore(path, readerConnectionString, fileLock, new SqliteWriteSession(connection));
            try
            {
                // A reader opened now proves the file readable by the readers too, and warms the pool.
                store.ReturnReader(store.RentReader());
            }
            catch
            {
                store.Dispose();
                throw;
            }

            Log.StoreOpened(logger, path, options.Synchronous);
            return store;
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

    public ValueTask CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        cancellationToken.ThrowIfCancellationRequested();
        if (job.Status is not (JobStatus.Editing or JobStatus.Queued))
        {
            throw new ArgumentException($"A new job must be Editing or Queued, not {job.Status}.", nameof(job));
        }

        return CreateCoreAsync(job, cancellationToken);
    }

    public ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var session = RentReader();
        try
        {
            return new(session.Get(jobId));
        }
        finally
        {
            ReturnReader(session);
        }
    }

    public ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        if (!JobLifecycle.CanTransition(transition.FromStatus, transition.ToStatus))
        {
            throw new ArgumentException($"The lifecycle does not allow {transition.FromStatus} -> {transition.ToStatus}.", nameof(transition));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteAsync(transition, static (session, t) => session.Transition(in t), cancellationToken));
    }

    public async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.MaxCount, 1, nameof(request));
        cancellationToken.ThrowIfCancellationRequested();
        return await _writer.WriteAsync(request, static (session, r) => session.Claim(r), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask SaveCheckpointAsync(Guid jobId, string? checkpoint, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteAsync((jobId, checkpoint), static (session, s) =>
        {
            session.SaveCheckpoint(s.jobId, s.checkpoint);
            return true;
        }, cancellationToken));
    }

    public ValueTask SaveReportAsync(Guid jobId, JobReportUpdate report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteAsync((jobId, report), static (session, s) =>
        {
            session.SaveReport(s.jobId, s.report);
            return true;
        }, cancellationToken));
    }

    public ValueTask AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        cancellationToken.ThrowIfCancellationRequested();
        if (entries.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        foreach (var entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
        }

        return new(_writer.WriteAsync(entries, static (session, e) =>
        {
            session.AppendJournal(e);
            return true;
        }, cancellationToken));
    }

    public ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var session = RentReader();
        try
        {
            return new(session.ReadLog(jobId, after, query.PageSize, query.MinimumLevel));
        }
        finally
        {
            ReturnReader(session);
        }
    }

    public ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var session = RentReader();
        try
        {
            return new(session.ReadRejects(jobId, after, query.PageSize));
        }
        finally
        {
            ReturnReader(session);
        }
    }

    public ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteAsync(endedBefore, static (session, cut) => session.Purge(cut), cancellationToken));
    }

    public ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(displayName);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteAsync((jobId, expectedVersion, parameters, displayName), static (session, s) =>
            session.UpdateDraft(s.jobId, s.expectedVersion, s.parameters, s.displayName), cancellationToken));
    }

    public ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var session = RentReader();
        try
        {
            return new(session.Query(query));
        }
        finally
        {
            ReturnReader(session);
        }
    }

    /// <summary>Finishes the queued writes, closes the file and releases it for the next process.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _writer.DisposeAsync().ConfigureAwait(false);
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }

        var connection = _writer.Session.Connection;
        try
        {
            Execute(connection, "PRAGMA optimize");
        }
#pragma warning disable CA1031 // Statistics are a nicety; closing must go on.
        catch (SqliteException)
#pragma warning restore CA1031
        {
        }

        _writer.Session.Dispose();
        connection.Dispose();
        _fileLock.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static object? Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static JobTrackingException ReadOnly(string path, Exception? inner) => new(
        $"The job store file '{path}' is read-only: the file, its folder, or its -wal and -shm files beside it cannot be written. The store needs write access to all of them.", inner);

    private static JobTrackingException OpenError(string path, SqliteException ex, SqliteJobStoreOptions options) => ex.SqliteErrorCode switch
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

    private async ValueTask CreateCoreAsync(JobRecord job, CancellationToken cancellationToken)
    {
        if (!await _writer.WriteAsync(job, static (session, j) => session.Create(j), cancellationToken).ConfigureAwait(false))
        {
            throw new ArgumentException($"A job with id '{job.Id}' already exists.", nameof(job));
        }
    }

    private SqliteReadSession RentReader()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_readers.TryTake(out var session))
        {
            return session;
        }

        var connection = new SqliteConnection(_readerConnectionString);
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA query_only = ON");
            connection.CreateFunction<string?, string?, bool>(
                "jt_contains",
                static (text, part) => text is not null && part is not null && text.Contains(part, StringComparison.OrdinalIgnoreCase),
                isDeterministic: true);
            return new SqliteReadSession(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void ReturnReader(SqliteReadSession session)
    {
        if (Volatile.Read(ref _disposed) != 0 || _readers.Count >= MaxIdleReaders)
        {
            session.Dispose();
            return;
        }

        _readers.Add(session);
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Disposed while this one was being returned: close whatever the drain missed.
            while (_readers.TryTake(out var late))
            {
                late.Dispose();
            }
        }
    }
}
