using System.Collections.Concurrent;
using System.Diagnostics;
using JobTracking.Control;
using JobTracking.Definitions;
using JobTracking.Feed;
using JobTracking.Journal;
using JobTracking.Ownership;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace JobTracking.Running;

/// <summary>The engine's shared core: every status change goes through <c>TryTransitionAsync</c>, every execution through <see cref="RunAsync"/>.</summary>
internal sealed class JobEngine : FeedObserver, IAsyncDisposable, IDisposable
{
    private const int MaxCommandWaits = 100; // each wait ends with a change of the job, a withdrawn flag or a heartbeat interval
    private const int MaxPendingSignals = 100_000;

    // A compare-and-set a run keeps losing against a job it still reads as its own can only be a row the store reads one
    // way and compares another (edited by hand, or a broken store): after this many in a row the run gives the job up.
    private const int MaxRefusedWrites = 100;

    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Guid, JobRun> _running = new();
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _waiters = new();
    private readonly ConcurrentDictionary<Guid, (JobStatus Status, long Version)> _pendingSignals = new();
    private readonly JobTrackingMetrics _metrics;
    private readonly ConcurrentDictionary<Guid, ActivityContext> _previousActivities = new();
    private long _commandEpoch;
    private int _waiterCount;
    private int _pendingSignalCount;
    private int _previousActivityCount;
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

    public ILoggerFactory LoggerFactory { get; }

    public string Node => Instance.Node;

    /// <summary>Gets or sets the scheduler's wake-up call, made when a job is queued.</summary>
    public Action? JobQueued { get; set; }

    /// <summary>Gets a counter raised by every control command; a worker that sees it move knows a signal may have missed it.</summary>
    public long CommandEpoch => Interlocked.Read(ref _commandEpoch);

    public ICollection<JobRun> RunningJobs => _running.Values;

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

    private ValueTask<bool> TryTransitionAsync(JobRecord job, JobTransition transition, JobLease? lease, bool untilStored, CancellationToken cancellationToken)
    {
        var call = StoreTransitionAsync(transition, lease, untilStored, cancellationToken);
        if (call.IsCompletedSuccessfully)
        {
            var applied = call.Result;
            if (applied)
            {
                AfterTransition(job, transition.ToStatus, transition.At);
            }

            return new(applied);
        }

        return AwaitTransitionAsync(call, job, transition);
    }

    private async ValueTask<bool> AwaitTransitionAsync(ValueTask<bool> call, JobRecord job, JobTransition transition)
    {
        var applied = await call.ConfigureAwait(false);
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
    public async ValueTask CreateAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await WaitForFeedRoomAsync(1, cancellationToken).ConfigureAwait(false);
        await StoreCreateAsync(job, cancellationToken).ConfigureAwait(false);
        _metrics.Created(job.TypeName);
        AfterTransition(job, job.Status, job.CreatedAt);
    }

    /// <summary>Stores new jobs in one store call, all or nothing; the store records each creation in the feed, and the scheduler is woken once.</summary>
    public async ValueTask CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken)
    {
        // After a transient error the batch was stored whole or not at all; if it was (the answer was lost), the retry
        // finds every job identical and the store answers it as stored (IJobStore.CreateManyAsync), so the whole call can be
        // tried again, and the scheduler is woken either way.
        await WaitForFeedRoomAsync(jobs.Count, cancellationToken).ConfigureAwait(false);
        await Retry.RunAsync((Store, jobs), static async (s, ct) =>
        {
            await s.Store.CreateManyAsync(s.jobs, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        var queued = false;
        foreach (var job in jobs)
        {
            _metrics.Created(job.TypeName);
            _metrics.Transition(job, job.Status, job.CreatedAt);
            queued |= job.Status == JobStatus.Queued;
        }

        if (queued)
        {
            JobQueued?.Invoke();
        }
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

    // The hot path: the store's answer as it comes, no retry machinery unless the call fails or has to wait.
    private ValueTask<bool> StoreTransitionAsync(in JobTransition transition, JobLease? lease, bool untilStored, CancellationToken cancellationToken)
    {
        ValueTask<bool> call;
        try
        {
            call = Store.TryTransitionAsync(transition, cancellationToken);
        }
        catch (Exception ex) when (Retry.IsTransient(ex))
        {
            return RetryTransitionAsync(transition, lease, untilStored, cancellationToken);
        }

        return call.IsCompletedSuccessfully ? call : AwaitStoreTransitionAsync(call, transition, lease, untilStored, cancellationToken);
    }

    private async ValueTask<bool> AwaitStoreTransitionAsync(ValueTask<bool> call, JobTransition transition, JobLease? lease, bool untilStored, CancellationToken cancellationToken)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (Retry.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            return await RetryTransitionAsync(transition, lease, untilStored, cancellationToken).ConfigureAwait(false);
        }
    }

    // A retry under a claim sends nothing once the claim is no longer held, and stops waiting out its backoff when it is lost.
    private ValueTask<bool> RetryTransitionAsync(JobTransition transition, JobLease? lease, bool untilStored, CancellationToken cancellationToken) =>
        Retry.RunAsync(
            (Store, transition, lease),
            static (s, ct) => s.lease is { IsHeld: false } ? new ValueTask<bool>(false) : s.Store.TryTransitionAsync(s.transition, ct),
            lease?.LostToken ?? cancellationToken,
            untilStored);

    private async ValueTask StoreCreateAsync(JobRecord job, CancellationToken cancellationToken) =>
        await Retry.RunAsync((Store, job), static async (s, ct) =>
        {
            await s.Store.CreateAsync(s.job, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

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

    /// <summary>Runs a job claimed by this node to its next resting status (finished, paused or interrupted).</summary>
    /// <param name="job">The job as claimed, in status Running.</param>
    /// <param name="epochAtClaim">The command epoch read before the claim.</param>
    /// <param name="stopping">Fires when the host stops; a job not yet started is then interrupted instead.</param>
    /// <param name="finishing">
    /// Called at most once, when the job's code has returned for good (completed or failed) and its final status is about
    /// to be written: the worker takes its next job then, while this run stores its final status (its lease held and
    /// renewed until the write is stored, or the claim lost). A run that ends otherwise (paused, cancelled, interrupted)
    /// may run its code again after a refused write, so it keeps its worker until it returns.
    /// </param>
    public async Task RunAsync(JobRecord job, long epochAtClaim, CancellationToken stopping, Action? finishing = null)
    {
        // A claim that lapsed (or was replaced by a newer one) before its run could start is not this instance's any more:
        // the store takes it back, and nothing is written here.
        if (!Claims.TryGet(job.Id, job.ClaimId, out var lease))
        {
            DropPendingSignal(job.Id);
            return;
        }

        try
        {
            await RunClaimedAsync(job, lease, epochAtClaim, finishing, stopping).ConfigureAwait(false);
        }
        finally
        {
            lease.End();
        }
    }

    private async Task RunClaimedAsync(JobRecord job, JobLease lease, long epochAtClaim, Action? finishing, CancellationToken stopping)
    {
        if (stopping.IsCancellationRequested)
        {
            await EndUnstartedAsync(job, lease, JobStatus.Interrupted, error: null).ConfigureAwait(false);
            return;
        }

        if (!Registry.TryGet(job.TypeName, out var jobType))
        {
            var message = $"Job type '{job.TypeName}' is not registered on node '{Node}'; register it with AddJob or cancel the job.";
            Log.UnknownJobType(_logger, job.Id, job.TypeName);
            await EndUnstartedAsync(job, lease, JobStatus.Failed, new JobError { Type = typeof(UnknownJobTypeException).FullName!, Message = message, StackTrace = null }).ConfigureAwait(false);
            return;
        }

        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            JobRun run;
            try
            {
                run = jobType.CreateRun(this, job, lease, scope.ServiceProvider);
            }
#pragma warning disable CA1031 // A job that cannot be built fails; the worker carries on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.JobFailed(_logger, ex, job.Id, job.TypeName);
                await EndUnstartedAsync(job, lease, JobStatus.Failed, JobError.FromException(ex)).ConfigureAwait(false);
                return;
            }

            using (run)
            {
                // One run per job on this instance: an older run of the job (its claim lost, its code still running) is
                // never replaced; this one waits for it to return, its own claim renewed meanwhile.
                while (!_running.TryAdd(job.Id, run))
                {
                    if (_running.TryGetValue(job.Id, out var older))
                    {
                        Debug.Assert(older.IsLost, "The store granted a new claim on a job whose run here still holds its claim.");
                        await older.WhenFinished().ConfigureAwait(false);
                    }
                }

                lease.Attach(run);
                TakePendingSignal(run);
                try
                {
                    if (!lease.IsHeld)
                    {
                        return; // lapsed while an older run finished: the job is taken back, this run writes nothing
                    }

                    if (stopping.IsCancellationRequested)
                    {
                        await ShutDownAsync(run, CancellationToken.None).ConfigureAwait(false);
                    }
                    else if (CommandEpoch != epochAtClaim)
                    {
                        await CatchUpAsync(run).ConfigureAwait(false);
                    }

                    using var activity = StartActivity(run);
                    var resting = await ExecuteUntilRestingAsync(run, activity, finishing).ConfigureAwait(false);
                    if (activity is not null)
                    {
                        activity.SetTag("job.status", resting?.ToString());
                        if (resting == JobStatus.Failed)
                        {
                            activity.SetStatus(ActivityStatusCode.Error);
                        }
                    }
                }
                finally
                {
                    _running.TryRemove(new KeyValuePair<Guid, JobRun>(job.Id, run));
                    run.MarkFinished();
                }
            }
        }
    }

    /// <summary>Moves a running job to ShuttingDown and asks it to stop at its next safe point.</summary>
    public async ValueTask ShutDownAsync(JobRun run, CancellationToken cancellationToken = default)
    {
        // Asked before the status says so: whoever sees ShuttingDown can count on the next safe point stopping the job.
        run.RequestShutdown();
        if (run.IsLost)
        {
            return;
        }

        var job = await GetAsync(run.JobId, cancellationToken).ConfigureAwait(false);
        for (var refused = 0; job is not null && job.Status is JobStatus.Running or JobStatus.Pausing && job.ClaimId == run.ClaimId && !run.IsLost; refused++)
        {
            if (refused == MaxRefusedWrites)
            {
                GiveUp(run, job, JobStatus.ShuttingDown);
                return;
            }

            var transition = Transition(job, JobStatus.ShuttingDown) with { ClaimId = run.ClaimId };
            if (await TryTransitionAsync(job, transition, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            job = await GetAsync(run.JobId, cancellationToken).ConfigureAwait(false);
        }
    }

    // The store refused a run's write MaxRefusedWrites times in a row while the job still read as the run's: the run lets
    // the job go (its token fires, it writes nothing more) and the lease lapses, so a reclaim settles the row.
    private void GiveUp(JobRun run, JobRecord job, JobStatus to) => GiveUp(run.Lease, job, to);

    private void GiveUp(JobLease lease, JobRecord job, JobStatus to)
    {
        var error = new JobTrackingException(
            $"The store refused to move job '{job.Id}' to {to} {MaxRefusedWrites} times in a row while it reads as {job.Status}, version {job.Version}, under this run's claim; the run gives the job up and its lease lapses.");
        Log.FinalTransitionFailed(_logger, error, job.Id, job.TypeName);
        lease.Lose("the store refused its writes " + MaxRefusedWrites.ToString(System.Globalization.CultureInfo.InvariantCulture) + " times in a row", log: false);
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
                    await CatchUpAsync(run).ConfigureAwait(false);
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

    private void TakePendingSignal(JobRun run)
    {
        if (Volatile.Read(ref _pendingSignalCount) != 0 && _pendingSignals.TryRemove(run.JobId, out var signal))
        {
            Interlocked.Decrement(ref _pendingSignalCount);
            run.ApplySignal(signal.Status, signal.Version);
        }
    }

    private void DropPendingSignal(Guid jobId)
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

    // A pause or cancel that won its compare-and-set between the claim and the run's registration found no run to signal.
    private async ValueTask CatchUpAsync(JobRun run)
    {
        var current = await GetAsync(run.JobId).ConfigureAwait(false);
        switch (current?.Status)
        {
            case JobStatus.Pausing:
                run.RequestPause();
                break;
            case JobStatus.Cancelling:
                run.RequestCancel();
                break;
            case JobStatus.ShuttingDown:
                run.RequestShutdown();
                break;
        }
    }

    private Activity? StartActivity(JobRun run)
    {
        ActivityContext previous = default;
        var linked = Volatile.Read(ref _previousActivityCount) != 0 && _previousActivities.TryRemove(run.JobId, out previous);
        if (linked)
        {
            Interlocked.Decrement(ref _previousActivityCount);
        }

        if (!JobTrackingMetrics.ActivitySource.HasListeners())
        {
            return null;
        }

        ActivityLink[]? links = linked ? [new ActivityLink(previous)] : null;
        var activity = JobTrackingMetrics.ActivitySource.StartActivity($"{run.TypeName} execute", ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag("job.id", run.JobId.ToString());
        activity?.SetTag("job.type", run.TypeName);
        activity?.SetTag("job.attempt", run.Attempt);
        return activity;
    }

    private async ValueTask<JobStatus?> ExecuteUntilRestingAsync(JobRun run, Activity? activity, Action? finishing)
    {
        Log.JobStarted(_logger, run.JobId, run.TypeName, run.Attempt);
        var status = run.Job.Status;
        var version = run.Job.Version;
        while (true)
        {
            Outcome outcome;
            Exception? error = null;
            try
            {
                await run.ExecuteAsync().ConfigureAwait(false);
                outcome = Outcome.Completed;
            }
            catch (JobSuspendedException)
            {
                outcome = Outcome.Suspended;
            }
            catch (OperationCanceledException) when (run.IsCancelRequested)
            {
                outcome = Outcome.Cancelled;
            }
#pragma warning disable CA1031 // Whatever the job throws fails the job, never the worker.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                outcome = Outcome.Failed;
                error = ex;
            }

            if (run.IsLost)
            {
                return null; // another instance owns the job now: write nothing
            }

            // Every log line and reject is stored before the status that ends this run, and no older report lands after it.
            await run.FlushJournalAsync().ConfigureAwait(false);
            await run.WaitForReportSaveAsync().ConfigureAwait(false);
            run.BeginStoringOutcome();
            var fresh = false;
            var waits = 0;
            var refused = 0;

            // Store the outcome against the status the job has now; a racing command moves it, so read and retry.
            while (true)
            {
                var to = Resolve(outcome, status, error);
                if (to is null)
                {
                    return null;
                }

                if (to == JobStatus.Running)
                {
                    if (fresh && (!run.HasPendingRequest || ++waits > MaxCommandWaits))
                    {
                        run.ResumeReports();
                        break; // resumed before the safe point it stopped at: run again from the checkpoint
                    }

                    // Stopped while the status still says Running: the pause or cancel that flagged it is landing. Wait
                    // for the feed to show the job move (or for the flag to be taken back), registered before the read.
                    var moved = fresh ? WaitForChangeAsync(run.JobId) : null;
                    if (await ReadStatusAsync(run).ConfigureAwait(false) is not { } current)
                    {
                        return null;
                    }

                    if (moved is not null && current.Status == JobStatus.Running && current.Version == version)
                    {
                        var withdrawn = run.WhenFlagWithdrawn();
                        if (run.HasPendingRequest)
                        {
                            await WaitForMoveAsync(moved, withdrawn).ConfigureAwait(false);
                        }
                    }

                    (status, version, fresh) = (current.Status, current.Version, true);
                    continue;
                }

                var at = TimeProvider.GetUtcNow();
                var stepOutcome = StepOutcome(to.Value);

                // The report goes with the status only when it changed since it was last stored (or steps must be closed).
                // It stays marked as changed until the status is stored, so a write that loses its compare-and-set to a
                // command and is tried again carries it too.
                var report = run.IsReportDirty || (stepOutcome is not null && run.HasRunningSteps) ? run.BuildReport(stepOutcome, at, keepDirty: true) : null;
                var transition = new JobTransition
                {
                    JobId = run.JobId,
                    FromStatus = status,
                    ExpectedVersion = version,
                    ToStatus = to.Value,
                    At = at,
                    Node = Node,
                    ClaimId = run.ClaimId,
                    Error = to == JobStatus.Failed ? JobError.FromException(error ?? new OperationCanceledException()) : null,
                    HasCheckpoint = run.IsCheckpointDirty || to is JobStatus.Paused or JobStatus.Interrupted,
                    Checkpoint = run.Checkpoint,
                    Report = report,
                };

                if (activity is not null && to is JobStatus.Paused or JobStatus.Interrupted && _previousActivities.TryAdd(run.JobId, activity.Context))
                {
                    Interlocked.Increment(ref _previousActivityCount); // recorded before the status, so the next run links back to this one
                }

                var job = status == run.Job.Status && version == run.Job.Version ? run.Job : run.Job with { Status = status, Version = version };

                // Once, and only for an outcome that never runs the code again (completed or failed): the worker moves on to
                // its next job while this write is stored; a refused write below is followed by a read and another try.
                if (outcome is Outcome.Completed or Outcome.Failed)
                {
                    finishing?.Invoke();
                    finishing = null;
                }

                bool applied;
                try
                {
                    // The run's last word is retried until it is stored or the claim is no longer held (refused, or its lease ran out here).
                    applied = await TryTransitionAsync(job, transition, run.Lease).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (run.IsLost)
                {
                    return null;
                }
#pragma warning disable CA1031 // A permanent store error must not take the worker down; the lease lapses and the job is reclaimed.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.FinalTransitionFailed(_logger, ex, run.JobId, run.TypeName);
                    run.MarkLost("its final status could not be stored");
                    return null;
                }

                if (applied)
                {
                    run.MarkStored();
                    LogOutcome(run, to.Value, error);
                    return to;
                }

                if (run.IsLost || await ReadStatusAsync(run).ConfigureAwait(false) is not { } read)
                {
                    return null;
                }

                // Refused although the job reads as the write expected it: counted; a job that moved (a command won) resets the count.
                refused = read.Status == status && read.Version == version ? refused + 1 : 0;
                if (refused >= MaxRefusedWrites)
                {
                    GiveUp(run, run.Job with { Status = status, Version = version }, to.Value);
                    return null;
                }

                (status, version, fresh) = (read.Status, read.Version, true);
            }
        }
    }

    // Waits for a flagged command to land (the feed shows the job changed) or to be taken back, and at most one heartbeat
    // interval, so a run never waits for ever on a feed that cannot be read.
    private async Task WaitForMoveAsync(Task moved, Task withdrawn)
    {
        using var bound = new CancellationTokenSource();
        var timeout = Task.Delay(Options.HeartbeatInterval, TimeProvider, bound.Token);
        await Task.WhenAny(moved, withdrawn, timeout).ConfigureAwait(false);
        await bound.CancelAsync().ConfigureAwait(false);
    }

    // Reads the job's status for the run; null (and the run marked lost) when the job is gone or another claim owns it.
    private async ValueTask<(JobStatus Status, long Version)?> ReadStatusAsync(JobRun run)
    {
        JobRecord? current;
        try
        {
            current = await Retry.RunAsync((Store, run.JobId), static (s, ct) => s.Store.GetAsync(s.JobId, ct), run.Lease.LostToken, untilStored: true).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.IsLost)
        {
            return null; // the claim was lost while the read waited for the store
        }
#pragma warning disable CA1031 // As for the final transition: give the job up and let its lease lapse.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.FinalTransitionFailed(_logger, ex, run.JobId, run.TypeName);
            run.MarkLost("its status could not be read");
            return null;
        }

        if (current is null)
        {
            run.MarkLost("the job was deleted");
            return null;
        }

        if (run.ClaimId is { } claim && current.ClaimId != claim)
        {
            run.MarkLost(current.ClaimId is null ? "its claim was released by another instance" : "another instance claimed it");
            return null;
        }

        return (current.Status, current.Version);
    }

    private static JobStepStatus? StepOutcome(JobStatus status) => status switch
    {
        JobStatus.Completed => JobStepStatus.Completed,
        JobStatus.Failed => JobStepStatus.Failed,
        JobStatus.Cancelled => JobStepStatus.Cancelled,
        _ => null,
    };

    private static JobStatus? Resolve(Outcome outcome, JobStatus status, Exception? error)
    {
        if (!JobLifecycle.IsActive(status))
        {
            return null;
        }

        return outcome switch
        {
            Outcome.Completed => JobStatus.Completed,
            Outcome.Failed when status == JobStatus.ShuttingDown && error is OperationCanceledException => JobStatus.Interrupted,
            Outcome.Failed => JobStatus.Failed,
            Outcome.Cancelled => status switch
            {
                JobStatus.Cancelling => JobStatus.Cancelled,
                JobStatus.Running => JobStatus.Running, // the cancel is flagged but not stored yet
                _ => JobStatus.Interrupted,
            },
            _ => status switch
            {
                JobStatus.Pausing => JobStatus.Paused,
                JobStatus.ShuttingDown => JobStatus.Interrupted,
                JobStatus.Cancelling => JobStatus.Cancelled,
                _ => JobStatus.Running,
            },
        };
    }

    private void LogOutcome(JobRun run, JobStatus status, Exception? error)
    {
        if (status == JobStatus.Failed)
        {
            Log.JobFailed(_logger, error, run.JobId, run.TypeName);
        }
        else
        {
            Log.JobStopped(_logger, run.JobId, run.TypeName, status);
        }
    }

    private async ValueTask EndUnstartedAsync(JobRecord job, JobLease lease, JobStatus to, JobError? error)
    {
        DropPendingSignal(job.Id);
        lease.BeginStoringOutcome();
        var current = job;
        try
        {
            for (var refused = 0; current is not null && JobLifecycle.IsActive(current.Status) && current.ClaimId == job.ClaimId && lease.IsHeld; refused++)
            {
                if (refused == MaxRefusedWrites)
                {
                    GiveUp(lease, current, to);
                    return;
                }

                var target = current.Status == JobStatus.Cancelling ? JobStatus.Cancelled : to;
                var transition = Transition(current, target) with { Error = error, ClaimId = job.ClaimId };
                if (await TryTransitionAsync(current, transition, lease).ConfigureAwait(false))
                {
                    return;
                }

                if (!lease.IsHeld)
                {
                    return;
                }

                current = await GetAsync(job.Id, lease.LostToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!lease.IsHeld)
        {
            // Lost while a retry waited for the store: the job is taken back, nothing more is written.
        }
    }

    private enum Outcome
    {
        Completed,
        Failed,
        Cancelled,
        Suspended,
    }
}
