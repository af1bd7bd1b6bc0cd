using System.Collections.Concurrent;
using System.Diagnostics;
using JobTracking.Control;
using JobTracking.Definitions;
using JobTracking.Feed;
using JobTracking.History;
using JobTracking.Journal;
using JobTracking.Ownership;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace JobTracking.Running;

/// <summary>The engine's shared core: every status change goes through <c>TryTransitionAsync</c>, every execution through <see cref="JobExecutor.RunAsync"/>.</summary>
internal sealed class JobEngine : FeedObserver, IAsyncDisposable, IDisposable
{
    private const int MaxPendingSignals = 100_000;

    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Guid, JobRun> _running = new();
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _waiters = new();
    private readonly ConcurrentDictionary<Guid, (JobStatus Status, long Version)> _pendingSignals = new();
    private readonly JobTrackingMetrics _metrics;
    private long _commandEpoch;
    private int _waiterCount;
    private int _pendingSignalCount;
    private long _queueDepth;

    public JobEngine(
        IJobStore store,
        JobInstance instance,
        JobTypeRegistry registry,
        IJobFeedStore feedStore,
        IOptions<JobTrackingOptions> options,
        TimeProvider timeProvider,
        IServiceScopeFactory scopes,
        JobTrackingMetrics metrics,
        JobJournalWriter journal,
        ILoggerFactory? loggerFactory = null)
    {
        Journal = journal;
        _metrics = metrics;
        Store = store;
        Registry = registry;
        Options = options.Value;
        TimeProvider = timeProvider;
        _scopes = scopes;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = LoggerFactory.CreateLogger<JobEngine>();
        Instance = instance;
        Retry = new StoreRetry(store, timeProvider, Options, _logger);
        Feed = new JobFeed(feedStore, Retry, timeProvider, Options, LoggerFactory.CreateLogger<JobFeed>()) { Observer = this };
        if (feedStore is InMemoryJobStore ring)
        {
            // Its feed is only a ring: a Wait subscriber that falls a ring behind would lose events, so new work waits for it instead.
            Feed.Backpressure = new FeedBackpressure(Feed, ring.FeedCapacity, timeProvider, LoggerFactory.CreateLogger<JobFeed>());
        }

        History = new JobHistoryRecorder(journal, instance, LoggerFactory.CreateLogger<JobHistoryRecorder>());
        Executor = new JobExecutor(this);
        Claims = new ClaimRegistry(timeProvider, Options.LeaseDuration, enforced: (store.Capabilities & JobStoreCapabilities.SharedAcrossProcesses) != 0, _logger);
        metrics.Observe(() => Volatile.Read(ref _queueDepth), () => _running.Count, () => Feed.DroppedEvents);
    }

    /// <summary>Gets this instance's reader of the store's change feed: it drives waits, signals and events.</summary>
    public JobFeed Feed { get; }

    public JobInstance Instance { get; }

    /// <summary>Gets every claim this instance holds, from the moment the store granted it until its run ends.</summary>
    public ClaimRegistry Claims { get; }

    public StoreRetry Retry { get; }

    public ILogger Logger => _logger;

    /// <summary>Gets whether a listener observes the queue-depth gauge.</summary>
    public bool QueueDepthObserved => _metrics.QueueDepthObserved;

    /// <summary>Gets or sets the number of queued jobs last counted in the store, for the queue-depth gauge.</summary>
    public long QueueDepth
    {
        get => Volatile.Read(ref _queueDepth);
        set => Volatile.Write(ref _queueDepth, value);
    }

    public IJobStore Store { get; }

    public JobTypeRegistry Registry { get; }

    public JobTrackingOptions Options { get; }

    public TimeProvider TimeProvider { get; }

    public JobJournalWriter Journal { get; }

    /// <summary>Gets what records commands, reclaims and retries in jobs' history.</summary>
    public JobHistoryRecorder History { get; }

    public ILoggerFactory LoggerFactory { get; }

    public string Node => Instance.Node;

    /// <summary>Gets or sets the scheduler's wake-up call, made when a job is queued.</summary>
    public Action? JobQueued { get; set; }

    /// <summary>Gets or sets what is told when a job comes to wait for a time (created or queued again with one, on any instance): the scheduler wakes then.</summary>
    public Action<DateTimeOffset>? JobDueAt { get; set; }

    /// <summary>Gets a counter raised by every control command; a worker that sees it move knows a signal may have missed it.</summary>
    public long CommandEpoch => Interlocked.Read(ref _commandEpoch);

    public ICollection<JobRun> RunningJobs => _running.Values;

    /// <summary>Gets the runs of this instance by job id: at most one per job.</summary>
    public ConcurrentDictionary<Guid, JobRun> Runs => _running;

    /// <summary>Gets the factory of the scope each run builds its job in.</summary>
    public IServiceScopeFactory Scopes => _scopes;

    /// <summary>Gets what runs the jobs this instance claimed.</summary>
    public JobExecutor Executor { get; }

    /// <summary>Applies a transition; the store records it in its change feed, which tells subscribers and waiters.</summary>
    /// <param name="job">The job as last read.</param>
    /// <param name="transition">The move.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public ValueTask<bool> TryTransitionAsync(JobRecord job, JobTransition transition, CancellationToken cancellationToken = default) =>
        TryTransitionAsync(job, transition, lease: null, untilStored: false, cancellationToken);

    /// <summary>Applies a move under a claim, retrying transient store errors while the claim is held.</summary>
    /// <param name="job">The job as last read.</param>
    /// <param name="transition">The move, under <paramref name="lease"/>'s claim.</param>
    /// <param name="lease">The claim's lease: nothing is sent once it is not held, and a retry waiting for the store stops when it is lost.</param>
    /// <param name="untilStored">Retries for as long as the claim is held (a run's last word), not only <see cref="JobTrackingOptions.TransientRetryCount"/> times.</param>
    /// <returns><see langword="false"/> when the store refused the move or the claim is no longer held.</returns>
    /// <exception cref="OperationCanceledException">The claim was lost while a retry waited.</exception>
    public ValueTask<bool> TryTransitionAsync(JobRecord job, JobTransition transition, JobLease lease, bool untilStored = true) =>
        lease.IsHeld ? TryTransitionAsync(job, transition, lease, untilStored, CancellationToken.None) : new(false);

    // The hot path: the store's answer as it comes, no retry machinery unless the call fails or has to wait, and one
    // state machine (not one per layer) when it has to wait.
    private ValueTask<bool> TryTransitionAsync(JobRecord job, JobTransition transition, JobLease? lease, bool untilStored, CancellationToken cancellationToken)
    {
        ValueTask<bool> call;
        try
        {
            call = Store.TryTransitionAsync(transition, cancellationToken);
        }
        catch (Exception ex) when (Retry.IsTransient(ex))
        {
            call = RetryTransitionAsync(transition, lease, untilStored, cancellationToken);
            return AwaitTransitionAsync(call, job, transition, lease, untilStored, retried: true, cancellationToken);
        }

        if (call.IsCompletedSuccessfully)
        {
            var applied = call.Result;
            if (applied)
            {
                AfterTransition(job, transition.ToStatus, transition.At);
            }

            return new(applied);
        }

        return AwaitTransitionAsync(call, job, transition, lease, untilStored, retried: false, cancellationToken);
    }

    private async ValueTask<bool> AwaitTransitionAsync(
        ValueTask<bool> call, JobRecord job, JobTransition transition, JobLease? lease, bool untilStored, bool retried, CancellationToken cancellationToken)
    {
        bool applied;
        try
        {
            applied = await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (!retried && Retry.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            applied = await RetryTransitionAsync(transition, lease, untilStored, cancellationToken).ConfigureAwait(false);
        }

        if (applied)
        {
            AfterTransition(job, transition.ToStatus, transition.At);
        }

        return applied;
    }

    /// <summary>Stores a new job; the store records its creation in the feed.</summary>
    /// <remarks>
    /// A transient error may come after the store committed the job (its answer was lost); the retry then finds the job
    /// stored, identical, and the store answers it as stored (the contract of <see cref="IJobStore.CreateAsync"/>), so the
    /// caller is told the job was started and the scheduler is woken for it. Another job with the id is still refused.
    /// </remarks>
    /// <returns>The id of the job stored: <paramref name="job"/>'s, or that of the job holding its idempotency key (then nothing was created).</returns>
    public ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken)
    {
        if (Feed.Backpressure is not null)
        {
            return CreateAfterFeedRoomAsync(job, cancellationToken);
        }

        // The hot path, as for a transition: the store's answer as it comes, and one state machine when it has to wait.
        ValueTask<Guid> call;
        try
        {
            call = Store.CreateAsync(job, cancellationToken);
        }
#pragma warning disable CA1031 // Not caught: a store's error thrown at once is handed to the caller in the returned task, as an async method would.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (Retry.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                return AwaitCreateAsync(Retry.RetryAfterAsync((Store, job), static (s, ct) => s.Store.CreateAsync(s.job, ct), ex, untilStored: false, cancellationToken), job, retried: true, cancellationToken);
            }

            return ex is OperationCanceledException && cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<Guid>(cancellationToken) : ValueTask.FromException<Guid>(ex);
        }

        if (call.IsCompletedSuccessfully)
        {
            Retry.Succeeded();
            return new(Created(job, call.Result));
        }

        return AwaitCreateAsync(call, job, retried: false, cancellationToken);
    }

    private async ValueTask<Guid> AwaitCreateAsync(ValueTask<Guid> call, JobRecord job, bool retried, CancellationToken cancellationToken)
    {
        Guid id;
        try
        {
            id = await call.ConfigureAwait(false);
            if (!retried)
            {
                Retry.Succeeded();
            }
        }
        catch (Exception ex) when (!retried && Retry.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            id = await Retry.RetryAfterAsync((Store, job), static (s, ct) => s.Store.CreateAsync(s.job, ct), ex, untilStored: false, cancellationToken).ConfigureAwait(false);
        }

        return Created(job, id);
    }

    private async ValueTask<Guid> CreateAfterFeedRoomAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await WaitForFeedRoomAsync(1, cancellationToken).ConfigureAwait(false);
        return Created(job, await StoreCreateAsync(job, cancellationToken).ConfigureAwait(false));
    }

    // The store's id for the job: its own (created: counted, and the scheduler told), or the key holder's (nothing created).
    private Guid Created(JobRecord job, Guid id)
    {
        if (id == job.Id)
        {
            _metrics.Created(job.TypeName);
            AfterTransition(job, job.Status, job.CreatedAt);
        }

        return id;
    }

    /// <summary>Stores new jobs in one store call, all or nothing; the store records each creation in the feed, and the scheduler is woken once.</summary>
    /// <returns>For each job, in order, the id stored for it: its own, or that of the job holding its idempotency key.</returns>
    public async ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken)
    {
        // After a transient error the batch was stored whole or not at all; if it was (the answer was lost), the retry
        // finds every job identical and the store answers it as stored (IJobStore.CreateManyAsync), so the whole call can be
        // tried again, and the scheduler is woken either way.
        await WaitForFeedRoomAsync(jobs.Count, cancellationToken).ConfigureAwait(false);
        var ids = await Retry.RunAsync((Store, jobs), static (s, ct) => s.Store.CreateManyAsync(s.jobs, ct), cancellationToken).ConfigureAwait(false);
        var queued = false;
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            if (ids[i] != job.Id)
            {
                continue;
            }

            _metrics.Created(job.TypeName);
            _metrics.Transition(job, job.Status, job.CreatedAt);
            queued |= job.Status == JobStatus.Queued;
        }

        if (queued)
        {
            JobQueued?.Invoke();
        }

        return ids;
    }

    /// <summary>Counts a command's stored move (applied, or found stored after its acknowledgement was lost), and wakes the scheduler when it queued the job.</summary>
    public void AnnounceCommand(JobRecord job, in JobTransition transition) => AfterTransition(job, transition.ToStatus, transition.At);

    /// <summary>Claims queued jobs for this instance; each claim is registered (and so renewed) the moment the store has granted it.</summary>
    public async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken)
    {
        // Sent now: the store dates the lease at some moment after this, so by its clock the lease ends no earlier than now + LeaseDuration.
        await WaitForFeedRoomAsync(request.MaxCount, cancellationToken).ConfigureAwait(false);
        var sent = Claims.Now;
        var claimed = await Retry.RunAsync((Store, request), static (s, ct) => s.Store.ClaimAsync(s.request, ct), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < claimed.Count; i++) // by index: a foreach over the interface boxes an enumerator per claim
        {
            var job = claimed[i];
            Claims.Grant(job, sent);
            _metrics.Started(job.TypeName);
            AfterTransition(job, JobStatus.Running, request.At);
        }

        return claimed;
    }

    // A retry under a claim sends nothing once the claim is no longer held, and stops waiting out its backoff when it is lost.
    private ValueTask<bool> RetryTransitionAsync(JobTransition transition, JobLease? lease, bool untilStored, CancellationToken cancellationToken) =>
        Retry.RunAsync(
            (Store, transition, lease),
            static (s, ct) => s.lease is { IsHeld: false } ? new ValueTask<bool>(false) : s.Store.TryTransitionAsync(s.transition, ct),
            lease?.LostToken ?? cancellationToken,
            untilStored);

    private ValueTask<Guid> StoreCreateAsync(JobRecord job, CancellationToken cancellationToken) =>
        Retry.RunAsync((Store, job), static (s, ct) => s.Store.CreateAsync(s.job, ct), cancellationToken);

    // New work waits here while a subscriber that must not lose events is close to a ring behind (in-memory store only).
    private ValueTask WaitForFeedRoomAsync(int changes, CancellationToken cancellationToken) =>
        Feed.Backpressure is { } backpressure ? backpressure.WaitForRoomAsync(changes, cancellationToken) : ValueTask.CompletedTask;

    public void RaiseCommandEpoch() => Interlocked.Increment(ref _commandEpoch);

    public bool TryGetRun(Guid jobId, out JobRun run) => _running.TryGetValue(jobId, out run!);

    /// <summary>Waits until the feed shows a change of the job (or the feed lost changes); register before reading the status to miss nothing.</summary>
    public Task WaitForChangeAsync(Guid jobId)
    {
        while (true)
        {
            if (_waiters.TryGetValue(jobId, out var existing))
            {
                return existing.Task;
            }

            var added = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_waiters.TryAdd(jobId, added))
            {
                Interlocked.Increment(ref _waiterCount);
                return added.Task;
            }
        }
    }

    /// <summary>Stores a run's progress (and checkpoint) under its claim; <see langword="false"/> when the store refused the claim or the claim is no longer held here.</summary>
    public ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, JobLease lease) =>
        Retry.RunAsync(
            (Store, update, lease),
            static (s, ct) => s.lease.IsHeld ? s.Store.SaveProgressAsync(s.update, ct) : new ValueTask<bool>(false),
            CancellationToken.None);

    /// <summary>Counts a job that a reclaim moved (both moves of one taken from its owner and queued again); the store's feed tells subscribers and waiters.</summary>
    public void AnnounceReclaimed(JobReclaimed reclaimed)
    {
        var now = TimeProvider.GetUtcNow();
        if (reclaimed.Job.Status == JobStatus.Queued && reclaimed.PreviousStatus != JobStatus.Interrupted)
        {
            AfterTransition(reclaimed.Job, JobStatus.Interrupted, now);
        }

        AfterTransition(reclaimed.Job, reclaimed.Job.Status, now);
    }

    /// <summary>Reads a job, retrying transient store errors.</summary>
    public ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        Retry.RunAsync((Store, jobId), static (s, ct) => s.Store.GetAsync(s.jobId, ct), cancellationToken);

    public JobTransition Transition(JobRecord job, JobStatus to) => new()
    {
        JobId = job.Id,
        FromStatus = job.Status,
        ExpectedVersion = job.Version,
        ToStatus = to,
        At = TimeProvider.GetUtcNow(),
        Node = Node,
    };

    public ValueTask DisposeAsync()
    {
        Claims.Dispose();
        return Feed.DisposeAsync();
    }

    public void Dispose()
    {
        Claims.Dispose();
        Feed.Dispose();
    }

    /// <summary>Handles what the feed's tail read: wakes the waiters of each changed job, and passes a pause, cancel or resume to the run of this instance it concerns, whoever issued it.</summary>
    public override void OnChanges(ReadOnlySpan<JobChange> changes)
    {
        var instanceId = Instance.Id;
        var queued = false;
        foreach (ref readonly var change in changes)
        {
            if (Volatile.Read(ref _waiterCount) != 0 && _waiters.TryRemove(change.JobId, out var waiter))
            {
                Interlocked.Decrement(ref _waiterCount);
                waiter.TrySetResult();
            }

            if (change.Kind == JobEventKind.StatusChanged && IsSignal(change.PreviousStatus, change.Status)
                && string.Equals(change.InstanceId, instanceId, StringComparison.Ordinal))
            {
                Signal(change.JobId, change.Status, change.Version);
            }

            if (change.RunAfter is { } due)
            {
                JobDueAt?.Invoke(due);
            }

            // Work to claim: a job queued, or an active job stopped (which frees its concurrency key), on any host.
            queued |= (change.Status == JobStatus.Queued && change.Kind is JobEventKind.Created or JobEventKind.StatusChanged)
                || (change.Kind == JobEventKind.StatusChanged && JobLifecycle.IsActive(change.PreviousStatus) && !JobLifecycle.IsActive(change.Status));
        }

        if (queued)
        {
            JobQueued?.Invoke(); // work for any host sharing the store: the scheduler looks now, not at its next poll
        }
    }

    /// <summary>The feed lost changes before the tail read them: every waiter looks again, and every run reads its status.</summary>
    public override void OnGap()
    {
        foreach (var jobId in _waiters.Keys)
        {
            if (_waiters.TryRemove(jobId, out var waiter))
            {
                Interlocked.Decrement(ref _waiterCount);
                waiter.TrySetResult();
            }
        }

        foreach (var run in _running.Values)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await Executor.CatchUpAsync(run).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // A failed look is no worse than the gap itself: the next heartbeat checks ownership.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.FeedReadFailed(_logger, ex);
                }
            });
        }
    }

    private static bool IsSignal(JobStatus from, JobStatus to) =>
        to is JobStatus.Pausing or JobStatus.Cancelling || (to == JobStatus.Running && from == JobStatus.Pausing);

    private void Signal(Guid jobId, JobStatus status, long version)
    {
        if (_running.TryGetValue(jobId, out var run))
        {
            run.ApplySignal(status, version);
            return;
        }

        // Claimed here but not registered yet: left for the run to pick up, then looked up again in case it registered meanwhile.
        if (Volatile.Read(ref _pendingSignalCount) >= MaxPendingSignals)
        {
            return;
        }

        var added = false;
        _pendingSignals.AddOrUpdate(jobId, _ =>
        {
            added = true;
            return (status, version);
        }, (_, old) => version > old.Version ? (status, version) : old);
        if (added)
        {
            Interlocked.Increment(ref _pendingSignalCount);
        }

        if (_running.TryGetValue(jobId, out run))
        {
            TakePendingSignal(run);
        }
    }

    public void TakePendingSignal(JobRun run)
    {
        if (Volatile.Read(ref _pendingSignalCount) != 0 && _pendingSignals.TryRemove(run.JobId, out var signal))
        {
            Interlocked.Decrement(ref _pendingSignalCount);
            run.ApplySignal(signal.Status, signal.Version);
        }
    }

    public void DropPendingSignal(Guid jobId)
    {
        if (Volatile.Read(ref _pendingSignalCount) != 0 && _pendingSignals.TryRemove(jobId, out _))
        {
            Interlocked.Decrement(ref _pendingSignalCount);
        }
    }

    private void AfterTransition(JobRecord job, JobStatus to, DateTimeOffset at)
    {
        _metrics.Transition(job, to, at);
        if (to == JobStatus.Queued)
        {
            JobQueued?.Invoke();
        }
    }

}
