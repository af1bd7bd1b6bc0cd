using System.Threading.Channels;
using JobTracking.Running;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.Scheduling;

/// <summary>
/// Feeds claimed jobs to a fixed set of worker loops. The feeder claims as many jobs as there are free workers (globally
/// and per job type) plus a few claimed ahead (<see cref="PrefetchEstimate"/>), so a worker whose job's code returns
/// takes its next job at once; the finished job's final status is stored meanwhile, its lease held until it is. It
/// sleeps on a signal when idle.
/// </summary>
internal sealed partial class JobScheduler : IAsyncDisposable, IDisposable
{
    // The most runs one worker leaves storing their final status before it waits for the oldest: a bound on what a slow
    // store holds in memory (each a finished run with its report), far above what a store that answers needs.
    private const int MaxStoringPerWorker = 64;

    private readonly JobEngine _engine;
    private readonly ILogger _logger;
    private readonly Channel<Dispatch> _dispatch = Channel.CreateUnbounded<Dispatch>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly WakeSignal _wake = new();
    private readonly Dictionary<string, TypeSlots> _typeSlots;
    private readonly PrefetchEstimate _prefetch;
    private readonly CancellationTokenSource _stopping = new();
    private int _busy;
    private int _ahead;
    private int _waitingForWorkers;
    private Task? _feeder;
    private Task[] _workers = [];
    private long _lastClaimTicks = -1;
    private readonly DueTimer _due;
    private readonly ITimer? _poll; // a store other processes share is polled as a safety net for lost wake-ups
    private bool _askForNextDue = true; // feeder only: at start, and after each wake-up for a due job

    public JobScheduler(JobEngine engine)
    {
        _engine = engine;
        _logger = engine.LoggerFactory.CreateLogger<JobScheduler>();
        var workers = engine.Options.MaxConcurrency;
        _typeSlots = engine.Registry.Types
            .Where(t => t.ConcurrencyLimit < workers)
            .ToDictionary(t => t.TypeName, t => new TypeSlots(t.ConcurrencyLimit), StringComparer.Ordinal);
        _prefetch = new PrefetchEstimate(engine.TimeProvider, engine.Options.ClaimPrefetch);
        _due = new DueTimer(engine.TimeProvider, Wake);

        // The feeder waits without a token (a wait with one allocates): stopping wakes it, and it sees the stop.
        _stopping.Token.Register(static scheduler => ((JobScheduler)scheduler!).Wake(), this);
        if ((engine.Store.Capabilities & JobStoreCapabilities.SharedAcrossProcesses) != 0)
        {
            _poll = engine.TimeProvider.CreateTimer(static scheduler => ((JobScheduler)scheduler!).Wake(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        engine.JobQueued = Wake;
        engine.JobDueAt = _due.Note;
    }

    /// <summary>Gets the number of workers running a job's code (or about to) on this node.</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>Gets the number of workers free on this node.</summary>
    public int FreeSlots => _engine.Options.MaxConcurrency - Volatile.Read(ref _busy);

    /// <summary>Gets the number of jobs claimed ahead, waiting here for a free worker.</summary>
    public int ClaimedAhead => Volatile.Read(ref _ahead);

    /// <summary>Gets whether the scheduler was started and is not stopping.</summary>
    public bool IsRunning => Volatile.Read(ref _feeder) is not null && !_stopping.IsCancellationRequested;

    /// <summary>Gets when this node last claimed a job, or when the scheduler started if it has claimed none since (by the engine's clock); <see langword="null"/> before it started.</summary>
    public DateTimeOffset? LastClaimAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastClaimTicks);
            return ticks < 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Describes a feeder or worker loop that ended while the scheduler runs (with the error that ended it, if any), or returns <see langword="null"/> when every loop is alive.</summary>
    public (string Loop, Exception? Error)? FindDeadLoop()
    {
        if (Volatile.Read(ref _feeder) is not { } feeder || _stopping.IsCancellationRequested)
        {
            return null;
        }

        if (feeder.IsCompleted)
        {
            return ("feeder", feeder.Exception?.GetBaseException());
        }

        var workers = Volatile.Read(ref _workers);
        for (var i = 0; i < workers.Length; i++)
        {
            if (workers[i].IsCompleted)
            {
                return ($"worker {i + 1}", workers[i].Exception?.GetBaseException());
            }
        }

        return null;
    }

    public void Start()
    {
        var count = _engine.Options.MaxConcurrency;
        var workers = new Task[count];
        for (var i = 0; i < count; i++)
        {
            workers[i] = Task.Run(WorkerLoopAsync);
        }

        Volatile.Write(ref _workers, workers);
        Interlocked.Exchange(ref _lastClaimTicks, _engine.TimeProvider.GetUtcNow().UtcTicks);
        Volatile.Write(ref _feeder, Task.Run(FeederLoopAsync));
        Log.SchedulerStarted(_logger, _engine.Node, count);
    }

    public void Wake() => _wake.Set();

    /// <summary>Stops claiming at once (the first step of <see cref="StopAsync"/>, taken before the host's other stops): a job claimed after it starts Interrupted, never run.</summary>
    public void StopClaiming()
    {
        if (_feeder is not null)
        {
            _stopping.Cancel();
        }
    }

    /// <summary>
    /// Stops claiming, asks running jobs to stop at a safe point, and waits up to the grace period; then fires the
    /// tokens of the jobs still running and waits for them to return until <paramref name="cancellationToken"/> (the
    /// host's shutdown time) fires. A job returns its own way (Interrupted, with its checkpoint); one still running
    /// then is abandoned, never stored as stopped while its code runs: its claim is dropped on this node, so nothing it
    /// writes later leaves the node, and its lease lapses so that it is reclaimed later.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_feeder is null)
        {
            return;
        }

        try
        {
            await StopWorkersAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var lease in _engine.Claims.DropAll())
            {
                Log.JobAbandoned(_logger, lease.JobId, lease.TypeName);
            }
        }
    }

    private async Task StopWorkersAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _feeder!.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _dispatch.Writer.TryComplete();
        Log.SchedulerStopping(_logger, _engine.Node, _engine.RunningJobs.Count);

        var workers = Task.WhenAll(_workers);
        try
        {
            foreach (var run in _engine.RunningJobs)
            {
                await _engine.Executor.ShutDownAsync(run, cancellationToken).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // A store that fails now must not stop the host from stopping: the jobs' leases lapse instead.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Log.WorkerFailed(_logger, ex, Guid.Empty);
        }
        catch (OperationCanceledException)
        {
        }

        using var graceTimer = new CancellationTokenSource(_engine.Options.ShutdownGracePeriod, _engine.TimeProvider);
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, graceTimer.Token);
        if (await WaitAsync(workers, grace.Token).ConfigureAwait(false))
        {
            return;
        }

        // Grace period over: the token tells the jobs that ignored the safe points to stop now.
        foreach (var run in _engine.RunningJobs)
        {
            run.FireCancellation();
        }

        await WaitAsync(workers, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> WaitAsync(Task workers, CancellationToken cancellationToken)
    {
        try
        {
            await workers.WaitAsync(Timeout.InfiniteTimeSpan, _engine.TimeProvider, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _due.Dispose();
        _poll?.Dispose();
        _stopping.Cancel();
        _dispatch.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        _due.Dispose();
        if (_poll is not null)
        {
            await _poll.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _dispatch.Writer.TryComplete();
        _stopping.Dispose();
    }

    private async Task FeederLoopAsync()
    {
        var stopping = _stopping.Token;
        var typeLimits = new Dictionary<string, int>(StringComparer.Ordinal);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var wanted = Wanted();
                if (wanted <= 0)
                {
                    // Every worker busy and enough claimed ahead: a worker that frees up wakes the feeder. Said before the
                    // count is read again, so a worker freed in between is seen either here or by its wake.
                    Volatile.Write(ref _waitingForWorkers, 1);
                    if (Wanted() <= 0)
                    {
                        await WaitForWorkAsync().ConfigureAwait(false);
                    }

                    Volatile.Write(ref _waitingForWorkers, 0);
                    continue;
                }

                if (_due.TakeFired())
                {
                    _askForNextDue = true;
                }

                // Asked before the claim: a job that comes due after the answer is either claimed now or wakes the timer.
                if (_askForNextDue)
                {
                    await NoteNextDueAsync(stopping).ConfigureAwait(false);
                }

                var started = _engine.TimeProvider.GetTimestamp();
                var (claimed, epoch) = await ClaimAsync(wanted, typeLimits, stopping).ConfigureAwait(false);

                _prefetch.Claimed(started);
                Interlocked.Add(ref _ahead, claimed.Count);
                for (var i = 0; i < claimed.Count; i++) // by index: a foreach over the interface boxes an enumerator per claim
                {
                    _dispatch.Writer.TryWrite(new Dispatch(claimed[i], epoch));
                }

                // A full batch: there may be more to claim. Otherwise the store had no more (or the limits allow no more):
                // a job queued, a key freed or the poll wakes the feeder, not a worker freeing up.
                if (claimed.Count < wanted)
                {
                    await WaitForWorkAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A store outage must not kill the feeder; it retries after the poll interval.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.FeederFailed(_logger, ex);
                await Task.Delay(FailureDelay, _engine.TimeProvider, stopping).ConfigureAwait(false);
            }
        }
    }

    // Jobs that wait for their time and that no feed change told of (queued before this instance started, or found still
    // waiting when the timer fired because the store's clock is behind this node's): the store says when the next comes due.
    private async ValueTask NoteNextDueAsync(CancellationToken stopping)
    {
        var next = await _engine.Retry.RunAsync(_engine.Store, static (store, ct) => store.GetNextRunAfterAsync(ct), stopping).ConfigureAwait(false);
        _askForNextDue = false;
        if (next is { } at)
        {
            var now = _engine.TimeProvider.GetUtcNow();
            _due.Note(at > now ? at : now + FailureDelay);
        }
    }

    // Free workers plus the jobs to claim ahead, less those claimed ahead already; at most one batch.
    private int Wanted() =>
        Math.Min(_engine.Options.MaxConcurrency + _prefetch.Target - Volatile.Read(ref _busy) - Volatile.Read(ref _ahead), _engine.Options.ClaimBatchSize);

    // After a failed claim the feeder tries again soon, whatever the (long) safety-net poll.
    private TimeSpan FailureDelay => _engine.Options.PollInterval < TimeSpan.FromSeconds(1) ? _engine.Options.PollInterval : TimeSpan.FromSeconds(1);

    // Until a wake-up: a job queued, a key freed, a job due, a worker freed, the poll of a shared store, or the stop.
    private ValueTask WaitForWorkAsync()
    {
        _poll?.Change(_engine.Options.PollInterval, Timeout.InfiniteTimeSpan);
        return _wake.WaitAsync();
    }

    // Only the feeder claims, so the per-type counts that limit a claim are the counts the claim then raises. Each claimed
    // job counts against its type's limit from its claim until its code returns.
    private async ValueTask<(IReadOnlyList<JobRecord> Claimed, long Epoch)> ClaimAsync(int wanted, Dictionary<string, int> typeLimits, CancellationToken stopping)
    {
        foreach (var (type, slots) in _typeSlots)
        {
            typeLimits[type] = Math.Max(0, slots.Limit - Volatile.Read(ref slots.Running));
        }

        var epoch = _engine.CommandEpoch;
        var request = new JobClaimRequest
        {
            InstanceId = _engine.Instance.Id,
            Node = _engine.Node,
            MaxCount = wanted,
            At = _engine.TimeProvider.GetUtcNow(),
            LeaseDuration = _engine.Options.LeaseDuration,
            TypeLimits = typeLimits,
        };
        var claimed = await _engine.ClaimAsync(request, stopping).ConfigureAwait(false);
        if (claimed.Count > 0)
        {
            Interlocked.Exchange(ref _lastClaimTicks, request.At.UtcTicks);
        }

        for (var i = 0; i < claimed.Count; i++) // by index: a foreach over the interface boxes an enumerator per claim
        {
            if (_typeSlots.TryGetValue(claimed[i].TypeName, out var slots))
            {
                Interlocked.Increment(ref slots.Running);
            }
        }

        return (claimed, epoch);
    }

    private async Task WorkerLoopAsync()
    {
        var worker = new Worker();
        var reader = _dispatch.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var dispatch))
                {
                    Interlocked.Decrement(ref _ahead);
                    Interlocked.Increment(ref _busy);
                    worker.Reset();
                    var run = RunOneAsync(dispatch, worker);

                    // The code has returned for good (the run stores its final status meanwhile), or the run is over.
                    await worker.WhenReleased().ConfigureAwait(false);
                    Release(dispatch.Job);
                    await worker.StoringAsync(run).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // Stopping: the host waits for the workers, so for every final status still being stored.
            await worker.DrainAsync().ConfigureAwait(false);
        }
    }

    private void Release(JobRecord job)
    {
        // A freed slot of a limited type may let a claim take a job its limit held back, so it wakes the feeder even when
        // the feeder waits for a new job rather than for a worker.
        var limited = _typeSlots.TryGetValue(job.TypeName, out var slots);
        if (limited)
        {
            Interlocked.Decrement(ref slots!.Running);
        }

        _prefetch.Released();
        Interlocked.Decrement(ref _busy);
        if (limited || Volatile.Read(ref _waitingForWorkers) != 0)
        {
            Wake();
        }
    }

    private async Task RunOneAsync(Dispatch dispatch, Worker worker)
    {
        var job = worker.Job; // read before the first await: the worker moves on to its next job once this one's code returns
        try
        {
            await _engine.Executor.RunAsync(dispatch.Job, dispatch.Epoch, _stopping.Token, worker.Finishing).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One job's store failure must not take a worker slot away for good.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.WorkerFailed(_logger, ex, dispatch.Job.Id);
        }
        finally
        {
            worker.Release(job);
        }
    }

    private readonly record struct Dispatch(JobRecord Job, long Epoch);
}
