using JobTracking.Sqlite.Storage;
using JobTracking.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SQLitePCL;

namespace JobTracking.Sqlite;

/// <summary>A durable job store in one SQLite file (WAL mode), for one process. Open one with <see cref="SqliteJobStores.Open"/>, or let <c>UseSqlite</c> do it.</summary>
/// <remarks>
/// Writes go through one connection, which commits whatever has queued in one transaction (group commit); a call returns
/// once its write is committed. Reads use connections of their own and never wait for writes. Every status change is an
/// <c>UPDATE ... WHERE id AND status AND version</c> (and claim): one row changed means won. Leases are judged by the
/// store's <see cref="TimeProvider"/>. An exclusive lock on <c>&lt;file&gt;.lock</c> keeps every other process off the file
/// while the store is open.
/// </remarks>
public sealed class SqliteJobStore : IJobStore, IJobJournalStore, IJobHistoryStore, IJobQueryStore, IJobFeedStore, IJobScheduleStore, IJobInstanceStore, IAsyncDisposable, IDisposable
{
    private readonly SqliteFileLock _fileLock;
    private readonly TimeProvider _time;
    private readonly SqliteWriter _writer;
    private readonly SqliteReaderPool _readers;
    private TaskCompletionSource? _feedWaiter;
    private int _disposed;

    private SqliteJobStore(SqliteFile file, TimeProvider timeProvider, SqliteJobStoreOptions options)
    {
        Path = file.Path;
        _fileLock = file.FileLock;
        _time = timeProvider;
        var session = new SqliteWriteSession(file.Writer, timeProvider, options.FeedRetention)
        {
            FeedCommitted = () => Interlocked.Exchange(ref _feedWaiter, null)?.TrySetResult(),
        };
        _writer = new SqliteWriter(session, options.MaxWriteBatch, options.WriteDelay, timeProvider);
        _readers = new SqliteReaderPool(file.ReaderConnectionString, this);
    }

    /// <summary>Gets the full path of the database file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    /// <remarks>None: one process uses the file, which the file lock enforces.</remarks>
    public JobStoreCapabilities Capabilities => JobStoreCapabilities.None;

    /// <inheritdoc/>
    /// <remarks>
    /// Transient here means the file was busy or locked (SQLITE_BUSY, SQLITE_LOCKED), for example by a backup tool, for
    /// longer than the busy timeout, or the disk was full (SQLITE_FULL): conditions that pass, so running jobs wait for
    /// them (their final status is retried until stored) instead of failing, while a start fails once its retries are
    /// spent. SQLite rolls back the write that found the disk full, so nothing half-written stays.
    /// </remarks>
    public bool IsTransient(Exception exception) =>
        exception is SqliteException sqlite
        && (sqlite.SqliteErrorCode is raw.SQLITE_BUSY or raw.SQLITE_LOCKED or raw.SQLITE_FULL
            || (sqlite.SqliteExtendedErrorCode & 0xFF) is raw.SQLITE_BUSY or raw.SQLITE_LOCKED or raw.SQLITE_FULL);

    /// <inheritdoc/>
    /// <remarks>The key's holder is looked up and the job stored in one write of the store's single writer, so of many racing creates with one key exactly one stores a job.</remarks>
    public ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckNewJob(job);
        cancellationToken.ThrowIfCancellationRequested();

        // Refused inside the write: an id that exists wrote nothing, so the write fails alone. A job with a key may take
        // the key from a job that no longer holds it before it is inserted: two statements, so in a savepoint of its own.
        // A plain create stays a one-statement write: the waiting jobs that came due may take their places in the queue
        // first (see SqliteQueue), but that is right whether or not the insert then stands.
        return new(job.IdempotencyKey is null
            ? _writer.WriteOneAsync(job, CreateOne, cancellationToken)
            : _writer.WriteAsync(job, CreateOne, cancellationToken));
    }

    private static Guid CreateOne(SqliteWriteSession session, JobRecord job) =>
        session.Jobs.Create(job) is { } id
            ? session.Touch(id)
            : throw new ArgumentException($"Another job with id '{job.Id}' already exists (a create sent again finds its own job identical: same type, display name, parameters, launched-by, priority, concurrency key, keys, times and timeout); nothing was stored.", nameof(job));

    /// <inheritdoc/>
    /// <remarks>The batch is one write of the store's writer: one transaction and, with <see cref="SqliteSynchronousMode.Full"/>, one disk flush.</remarks>
    public async ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckNewJobs(jobs);
        cancellationToken.ThrowIfCancellationRequested();
        if (jobs.Count == 0)
        {
            return [];
        }

        // An id that exists fails the write, and the writer rolls the whole batch back to its savepoint, unless every id
        // exists with its job identical: the batch was sent again after its answer was lost, and nothing is written.
        return await _writer.WriteAsync(jobs, static (session, all) => session.Touch(session.Jobs.CreateMany(all)), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>Read from the index of the waiting jobs (those have no place in the queue yet), by the store's <see cref="TimeProvider"/>.</remarks>
    public ValueTask<DateTimeOffset?> GetNextRunAfterAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(_readers.Read(_time.GetUtcNow(), static (session, now) => session.NextRunAfter(now)));
    }

    /// <inheritdoc/>
    public ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(_readers.Read(jobId, static (session, id) => session.Get(id)));
    }

    /// <inheritdoc/>
    public ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckTransition(in transition);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteOneAsync(transition, static (session, t) => session.Touch(session.Jobs.Transition(in t)), cancellationToken));
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckClaim(request);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteAsync(request, static (session, r) => session.Touch<IReadOnlyList<JobRecord>>(session.Claims.Claim(r)), cancellationToken));
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckRenewal(renewal);
        cancellationToken.ThrowIfCancellationRequested();
        if (renewal.Claims.Count == 0)
        {
            return [];
        }

        return await _writer.WriteAsync(renewal, static (session, r) => session.Claims.RenewLeases(r), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckReclaim(request);
        cancellationToken.ThrowIfCancellationRequested();
        return await _writer.WriteAsync(request, static (session, r) => session.Touch(session.Claims.Reclaim(r)), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckProgress(update);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteOneAsync(update, static (session, u) => session.Touch(session.Jobs.SaveProgress(u)), cancellationToken));
    }

    /// <inheritdoc/>
    public ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(displayName);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteOneAsync((jobId, expectedVersion, parameters, displayName), static (session, s) =>
            session.Touch(session.Jobs.UpdateDraft(s.jobId, s.expectedVersion, s.parameters, s.displayName)), cancellationToken));
    }

    /// <inheritdoc/>
    /// <remarks>The feed is a table written by triggers in the same transaction as each change, and trimmed to <see cref="SqliteJobStoreOptions.FeedRetention"/> changes.</remarks>
    public ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_readers.Read((afterSequence, buffer), static (session, s) => session.ReadFeed(s.afterSequence, s.buffer.Span)));
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Only this process writes the file, so a commit that added to the feed wakes the waiters at once, and where the feed
    /// ends is known without reading the file; nothing polls.
    /// </remarks>
    public ValueTask WaitForChangesAsync(long afterSequence, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (LatestSequence() > afterSequence)
        {
            return ValueTask.CompletedTask;
        }

        var waiter = Volatile.Read(ref _feedWaiter);
        if (waiter is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiter = Interlocked.CompareExchange(ref _feedWaiter, created, null) ?? created;
        }

        // Registered first, then read again: a commit in between either sees the waiter or is seen here.
        return LatestSequence() > afterSequence ? ValueTask.CompletedTask : new ValueTask(waiter.Task.WaitAsync(cancellationToken));
    }

    private long LatestSequence() => _writer.Session.CommittedFeedEnd;

    /// <inheritdoc/>
    /// <remarks>The batch is one write: if it throws, none of its entries is stored, and the other writes committed with it are not affected.</remarks>
    public ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        cancellationToken.ThrowIfCancellationRequested();
        if (entries.Count == 0)
        {
            return new(0);
        }

        foreach (var entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
        }

        return new(_writer.WriteAsync(entries, static (session, e) => session.Journal.AppendJournal(e), cancellationToken));
    }

    /// <inheritdoc/>
    public ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return new(_readers.Read((jobId, after, query), static (session, s) => session.ReadLog(s.jobId, s.after, s.query.PageSize, s.query.MinimumLevel)));
    }

    /// <inheritdoc/>
    public ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return new(_readers.Read((jobId, after, query.PageSize), static (session, s) => session.ReadRejects(s.jobId, s.after, s.PageSize)));
    }

    /// <inheritdoc/>
    public ValueTask<JournalPage<JobHistoryRecord>> ReadHistoryAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return new(_readers.Read((jobId, after, query.PageSize), static (session, s) => session.ReadHistory(s.jobId, s.after, s.PageSize)));
    }

    /// <inheritdoc/>
    public ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return new(_readers.Read(query, static (session, q) => session.Query(q)));
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(_readers.Read(0, static (session, _) => session.Count()));
    }

    /// <inheritdoc/>
    public ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckPurge(maxCount);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteAsync((endedBefore, maxCount), static (session, s) => session.Jobs.Purge(s.endedBefore, s.maxCount), cancellationToken));
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<JobScheduleRecord>> GetSchedulesAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(_readers.Read(0, static (session, _) => (IReadOnlyList<JobScheduleRecord>)session.Schedules()));
    }

    /// <inheritdoc/>
    public ValueTask<JobScheduleRecord?> GetScheduleAsync(string scheduleId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scheduleId);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_readers.Read(scheduleId, static (session, id) => session.Schedule(id)));
    }

    /// <inheritdoc/>
    /// <remarks>One statement of the store's writer: an insert that does nothing when the id is taken, or an update on the id and the version before.</remarks>
    public ValueTask<bool> TrySaveScheduleAsync(JobScheduleRecord schedule, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckSchedule(schedule);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteOneAsync(schedule, static (session, s) => session.Schedules.TrySave(s), cancellationToken));
    }

    /// <inheritdoc/>
    public ValueTask<bool> TryDeleteScheduleAsync(string scheduleId, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scheduleId);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteOneAsync((scheduleId, expectedVersion), static (session, s) => session.Schedules.TryDelete(s.scheduleId, s.expectedVersion), cancellationToken));
    }

    /// <inheritdoc/>
    /// <remarks>One upsert of the store's writer, dated by the store's <see cref="TimeProvider"/>, the clock that judges leases.</remarks>
    public ValueTask RecordHeartbeatAsync(JobInstanceHeartbeat heartbeat, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckHeartbeat(heartbeat);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteOneAsync((heartbeat, _time), static (session, s) => SqliteInstances.Beat(session.Connection, s.heartbeat, s._time.GetUtcNow()), cancellationToken));
    }

    /// <inheritdoc/>
    public ValueTask<JobInstanceList> GetInstancesAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(_readers.Read(_time, static (session, time) => new JobInstanceList { Now = time.GetUtcNow(), Instances = SqliteInstances.List(session.Connection) }));
    }

    /// <inheritdoc/>
    public ValueTask<bool> RemoveInstanceAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteOneAsync(instanceId, static (session, id) => SqliteInstances.Remove(session.Connection, id), cancellationToken));
    }

    /// <inheritdoc/>
    public ValueTask<int> PurgeInstancesAsync(TimeSpan silentFor, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(silentFor, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_writer.WriteOneAsync((silentFor, _time), static (session, s) => SqliteInstances.Purge(session.Connection, s._time.GetUtcNow() - s.silentFor), cancellationToken));
    }

    /// <summary>Finishes the queued writes, closes the file and releases it for the next process.</summary>
    /// <returns>A task that completes when the file is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _writer.DisposeAsync().ConfigureAwait(false);
        _readers.Dispose();
        var connection = _writer.Session.Connection;
        try
        {
            SqliteFile.Execute(connection, "PRAGMA optimize");
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

    /// <summary>Finishes the queued writes, closes the file and releases it for the next process.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Opens (and creates or migrates) the store's file, or says clearly what is wrong with it.</summary>
    /// <exception cref="ArgumentException">The connection string is malformed or names no file.</exception>
    /// <exception cref="JobTrackingException">The file is in use, not a SQLite database, read-only, locked, written by a newer schema, or cannot be opened.</exception>
    internal static SqliteJobStore Open(string connectionString, SqliteJobStoreOptions options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("JobTracking.Sqlite");
        var file = SqliteFile.Open(connectionString, options, logger);
        SqliteJobStore store;
        try
        {
            store = new SqliteJobStore(file, timeProvider ?? TimeProvider.System, options);
        }
        catch (Exception ex)
        {
            file.Writer.Dispose();
            file.FileLock.Dispose();
            throw ex is SqliteException sqlite ? SqliteFile.OpenError(file.Path, sqlite, options) : ex;
        }

        try
        {
            // A reader opened now proves the file readable by the readers too, and warms the pool.
            store._readers.Read(0, static (_, _) => 0);
        }
        catch (Exception ex)
        {
            store.Dispose();
            throw ex is SqliteException sqlite ? SqliteFile.OpenError(file.Path, sqlite, options) : ex;
        }

        Log.StoreOpened(logger, file.Path, options.Synchronous);
        return store;
    }
}
