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
internal sealed partial class JobEngine : FeedObserver, IAsyncDisposable, IDisposable
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
