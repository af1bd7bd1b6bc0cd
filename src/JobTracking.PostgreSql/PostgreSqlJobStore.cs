using JobTracking.PostgreSql.Storage;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobTracking.PostgreSql;

/// <summary>A durable job store in a PostgreSQL schema, shared by every instance that points at it. Open one with <see cref="PostgreSqlJobStores.OpenAsync(string)"/>, or let <c>UsePostgreSql</c> do it.</summary>
/// <remarks>
/// <para>Writes are batched: the writes waiting in this process go to the server as one batch of statements, in one round
/// trip and one transaction, on one of several connections, so batches of this instance and of the others commit at the
/// same time and share the server's flushes. A call returns once its write has committed.</para>
/// <para>Reads use pooled connections and never wait for writes. Leases, reclaims, run-after and idempotent-until times and every
/// "now" that decides who owns a job use the database's clock. Instances wake each other with LISTEN/NOTIFY and poll as a fallback.</para>
/// <para>Recurring schedules (<see cref="IJobScheduleStore"/>) and the list of instances (<see cref="IJobInstanceStore"/>) are kept in the same schema.</para>
/// </remarks>
public sealed partial class PostgreSqlJobStore : IJobStore, IJobJournalStore, IJobHistoryStore, IJobQueryStore, IJobFeedStore, IJobScheduleStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgreSqlJobStoreOptions _options;
    private readonly TimeProvider? _leaseClock;
    private readonly ILogger _logger;
    private readonly PgStatements _sql;
    private readonly PgReads _reads;
    private readonly PgSchedules _schedules;
    private readonly PgInstances _instances;
    private readonly PgWriter _writer;
    private readonly PgDoorbell _doorbell;
    private readonly PgCommitWatcher _commits;
    private readonly string?[] _clusterTypes;
    private readonly int[] _clusterLimits;
    private readonly Lock _openLock = new();
    private Task? _opened;
    private int _disposed;

    internal PostgreSqlJobStore(NpgsqlDataSource dataSource, bool ownsDataSource, PostgreSqlJobStoreOptions options, ILoggerFactory? loggerFactory, TimeProvider? time, TimeProvider? leaseClock)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _options = options;
        _leaseClock = leaseClock;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("JobTracking.PostgreSql");
        _sql = new PgStatements(options.Schema);
        _clusterTypes = [.. options.ClusterJobTypeConcurrency.Keys.Select(PgText.Store)];
        _clusterLimits = [.. options.ClusterJobTypeConcurrency.Values];
        _reads = new PgReads(dataSource, _sql);
        _schedules = new PgSchedules(dataSource, options.Schema);
        _instances = new PgInstances(dataSource, options.Schema);
        var token = Guid.NewGuid().ToString("N");
        _doorbell = new PgDoorbell(dataSource, _sql.Channel, token, options, time ?? TimeProvider.System, _logger);
        _writer = new PgWriter(dataSource, _sql, options, token, time ?? TimeProvider.System, _logger) { FeedCommitted = _doorbell.Saw };
        _commits = new PgCommitWatcher(dataSource, _writer.NumberCommittedAsync, time ?? TimeProvider.System, _logger);
    }

    /// <summary>Gets the schema that holds the store's tables.</summary>
    public string Schema => _options.Schema;

    /// <inheritdoc/>
    /// <remarks>Shared across processes: every instance pointed at the same schema shares the queue.</remarks>
    public JobStoreCapabilities Capabilities => JobStoreCapabilities.SharedAcrossProcesses;

    /// <inheritdoc/>
    /// <remarks>Transient: a lost or refused connection, a server shutting down or restarting, a serialization failure or a deadlock, a timeout (Npgsql's <see cref="NpgsqlException.IsTransient"/>).</remarks>
    public bool IsTransient(Exception exception) => exception is NpgsqlException { IsTransient: true } or TimeoutException;

    /// <summary>Creates or migrates the schema (once, whoever else starts at the same time) and checks the server can be used; the first call does the work, later ones return its outcome.</summary>
    /// <param name="cancellationToken">Stops waiting (the migration itself goes on).</param>
    /// <returns>A task that completes when the store is ready.</returns>
    /// <exception cref="JobTrackingException">The schema was written by a newer version of this package, or holds tables that are not a job store's.</exception>
    internal Task EnsureOpenAsync(CancellationToken cancellationToken = default) => OpenOnce().WaitAsync(cancellationToken);

    /// <inheritdoc/>
    /// <remarks>Idempotency keys are kept by a unique index, so of racing creates with one key, in any process, exactly one stores its job; a create with a key sends two more statements in the same round trip and transaction, one without sends none.</remarks>
    public async ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckNewJob(job);
        return await WriteAsync(new PgCreateOne(job, Now()), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>One statement in one transaction, however many jobs (three when a job has an idempotency key).</remarks>
    public async ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckNewJobs(jobs);
        return jobs.Count == 0 ? [] : await WriteAsync(new PgCreate(jobs, Now()), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>Reads the first entry of the waiting jobs' index.</remarks>
    public async ValueTask<DateTimeOffset?> GetNextRunAfterAsync(CancellationToken cancellationToken = default)
    {
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _reads.GetNextRunAfterAsync(Now(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _reads.GetAsync(jobId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckTransition(in transition);
        return await WriteAsync(new PgTransition(transition, Now()), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>One statement: the ready jobs are read in queue order and locked (<c>FOR UPDATE SKIP LOCKED</c>), thinned to the instance's type limits, to <see cref="PostgreSqlJobStoreOptions.ClusterJobTypeConcurrency"/> and to one job per concurrency key held by no active job in the whole cluster, and moved to Running with a lease from the database's clock.</remarks>
    public async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckClaim(request);
        var claim = new PgClaim(request, Now(), _clusterTypes, _clusterLimits);
        var claimed = await WriteAsync(claim, cancellationToken).ConfigureAwait(false);
        await FailUnreadableAsync(claim.Unreadable, JobStatus.Running, request.At).ConfigureAwait(false);
        return claimed;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckRenewal(renewal);
        return renewal.Claims.Count == 0 ? [] : await WriteAsync(new PgRenewLeases(renewal, Now()), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckReclaim(request);

        // Most heartbeats find nothing: one read says so, where the reclaim is a write batch of three statements. A job
        // whose lease lapses just after the read is found by the next heartbeat, as it would be if it lapsed just after
        // the reclaim.
        if (!request.IncludeLiveLeases)
        {
            await Opened(cancellationToken).ConfigureAwait(false);
            if (!await _reads.AnythingToReclaimAsync(Now(), request.Resume, cancellationToken).ConfigureAwait(false))
            {
                return [];
            }
        }

        var reclaim = new PgReclaim(request, Now());
        var reclaimed = await WriteAsync(reclaim, cancellationToken).ConfigureAwait(false);

        // A job reclaimed to Cancelled is final and one Paused waits for a command that names the problem; one left
        // Interrupted or Queued would wait for a resume or a claim that cannot read it.
        await FailUnreadableAsync(reclaim.Unreadable, JobStatus.Interrupted, request.At).ConfigureAwait(false);
        await FailUnreadableAsync(reclaim.Unreadable, JobStatus.Queued, request.At).ConfigureAwait(false);
        return reclaimed;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckProgress(update);
        return await WriteAsync(new PgSaveProgress(update, Now()), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(displayName);
        return await WriteAsync(new PgUpdateDraft(jobId, expectedVersion, parameters, displayName, Now()), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>The feed is a table written in the same statement as each change, numbered after the change's commit by a short numbering step (so numbers appear in increasing order however commits overlap), and trimmed to <see cref="PostgreSqlJobStoreOptions.FeedRetention"/> changes.</remarks>
    public async ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        await Opened(cancellationToken).ConfigureAwait(false);
        var (read, pending) = await _reads.ReadFeedAsync(afterSequence, buffer, cancellationToken).ConfigureAwait(false);
        _doorbell.Saw(read.LatestSequence);
        if (pending && !await _writer.NumberIfIdleAsync(cancellationToken).ConfigureAwait(false))
        {
            // Numbered a moment ago: the changes found waiting (an application's commit, say) are numbered by the next
            // step, or, should none come, by this reader once the bell rings again after the idle window.
            _doorbell.RingAfter(PgWriter.IdleNumbering);
        }

        return read;
    }

    /// <inheritdoc/>
    /// <remarks>This process's commits wake the waiters at once, other instances' through LISTEN/NOTIFY, and at the latest <see cref="PostgreSqlJobStoreOptions.PollInterval"/> passes.</remarks>
    public ValueTask WaitForChangesAsync(long afterSequence, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _doorbell.WaitAsync(afterSequence, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>One statement for the whole batch: if it throws, none of its entries is stored.</remarks>
    public async ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return 0;
        }

        foreach (var entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
        }

        return await WriteAsync(new PgAppendJournal(entries), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _reads.ReadLogAsync(jobId, after, query.PageSize, query.MinimumLevel, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _reads.ReadRejectsAsync(jobId, after, query.PageSize, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JournalPage<JobHistoryRecord>> ReadHistoryAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _reads.ReadHistoryAsync(jobId, after, query.PageSize, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _reads.QueryAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>Reads a small table of counts that statement triggers keep in the same transaction as each change.</remarks>
    public async ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default)
    {
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _reads.CountAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckPurge(maxCount);
        return await WriteAsync(new PgPurge(endedBefore, maxCount), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Finishes the queued writes, stops listening and, when the store made its data source, closes its connections.</summary>
    /// <returns>A task that completes when the store is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _commits.DisposeAsync().ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _doorbell.DisposeAsync().ConfigureAwait(false);
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task OpenAsync()
    {
        var found = await PgSchema.EnsureCreatedAsync(_dataSource, _options.Schema, CancellationToken.None).ConfigureAwait(false);
        if (found < PgSchema.CurrentVersion)
        {
            Storage.Log.SchemaCreated(_logger, _options.Schema, found, PgSchema.CurrentVersion);
        }

        Storage.Log.StoreOpened(_logger, _options.Schema, PgSchema.CurrentVersion, _options.UseListenNotify);
    }

    private Task Opened(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var opened = Volatile.Read(ref _opened);
        return opened is { IsCompletedSuccessfully: true } ? Task.CompletedTask : OpenOnce().WaitAsync(cancellationToken);
    }

    // One opening at a time; one that failed for a transient reason (the server was down) is tried again by the next call.
    private Task OpenOnce()
    {
        lock (_openLock)
        {
            if (_opened is null || (_opened.IsFaulted && _opened.Exception.InnerException is { } error && IsTransient(error)))
            {
                _opened = OpenAsync();
            }

            return _opened;
        }
    }

    // A row a claim or reclaim cannot read (edited by hand) must not stop the others: it ends Failed, saying why, and is
    // never run. The move is the store's own, outside the lifecycle's commands (an interrupted job is never failed
    // otherwise). Should it fail, the row's lease lapses and the next reclaim meets it again.
    private async Task FailUnreadableAsync(List<UnreadableJob> unreadable, JobStatus from, DateTimeOffset at)
    {
        foreach (var job in unreadable)
        {
            if (job.Status != (int)from)
            {
                continue;
            }

            var fail = new JobTransition
            {
                JobId = job.Id,
                FromStatus = from,
                ExpectedVersion = job.Version,
                ToStatus = JobStatus.Failed,
                At = at,
                Error = new JobError { Type = typeof(JobTrackingException).FullName!, Message = job.Error.Message },
            };
            try
            {
                await WriteAsync(new PgTransition(fail, Now()), CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The claim or reclaim it follows has committed: its result must reach the engine whatever happens here.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    /// <summary>Watches an application's transaction that wrote changes, so they are numbered (and every instance told) once it commits.</summary>
    internal void WatchCommit(ulong transactionId) => _commits.Watch(transactionId);

    /// <summary>Gets the connection string of the store's data source (without its password).</summary>
    internal string ConnectionString => _dataSource.ConnectionString;

    private async Task<T> WriteAsync<T>(PgWrite<T> write, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Opened(cancellationToken).ConfigureAwait(false);
        if (write.FitsApplicationTransaction && PgApplicationTransaction.For(this) is { } transaction)
        {
            return await transaction.WriteAsync(write, _sql, cancellationToken).ConfigureAwait(false);
        }

        return await _writer.WriteAsync(write, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The lease clock: <see langword="null"/> (the database's <c>now()</c>) unless a test bound one.</summary>
    private DateTimeOffset? Now() => _leaseClock?.GetUtcNow();
}
