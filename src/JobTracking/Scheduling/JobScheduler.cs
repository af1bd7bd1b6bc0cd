using System.Threading.Channels;
using JobTracking.Running;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.Scheduling;

/// <summary>
/// Feeds claimed jobs to a fixed set of worker loops. The feeder claims only as many jobs as there are free slots
/// (globally and per job type), so a job is never Running without a worker; it sleeps on a signal when idle.
/// </summary>
internal sealed class JobScheduler : IAsyncDisposable, IDisposable
{
    private readonly JobEngine _engine;
    private readonly ILogger _logger;
    private readonly Channel<Dispatch> _dispatch;
    private readonly Channel<byte> _wake = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, TypeSlots> _typeSlots;
    private readonly bool _hasTypeLimits;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _claimLock = new(1, 1);
    private int _freeSlots;
    private Task? _feeder;
    private Task[] _workers = [];
    private long _lastClaimTicks = -1;

    public JobScheduler(JobEngine engine)
    {
        _engine = engine;
        _logger = engine.LoggerFactory.CreateLogger<JobScheduler>();
        var workers = engine.Options.MaxConcurrency;
        _freeSlots = workers;
        _dispatch = Channel.CreateBounded<Dispatch>(new BoundedChannelOptions(workers) { SingleWriter = true });
        _typeSlots = engine.Registry.Types
            .Where(t => t.ConcurrencyLimit < workers)
            .ToDictionary(t => t.TypeName, t => new TypeSlots(t.ConcurrencyLimit), StringComparer.Ordinal);
        _hasTypeLimits = _typeSlots.Count > 0;
        engine.JobQueued = Wake;
    }

    /// <summary>Gets the number of jobs claimed and not yet finished on this node.</summary>
    public int Busy => _engine.Options.MaxConcurrency - Volatile.Read(ref _freeSlots);

    /// <summary>Gets the number of worker slots free on this node.</summary>
    public int FreeSlots => Volatile.Read(ref _freeSlots);

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

    public void Wake() => _wake.Writer.TryWrite(0);

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
                await _engine.ShutDownAsync(run, cancellationToken).ConfigureAwait(false);
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
        _stopping.Cancel();
        _dispatch.Writer.TryComplete();
        _claimLock.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _dispatch.Writer.TryComplete();
        _stopping.Dispose();
        _claimLock.Dispose();
    }

    private async Task FeederLoopAsync()
    {
        var stopping = _stopping.Token;
        var typeLimits = new Dictionary<string, int>(StringComparer.Ordinal);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var free = Volatile.Read(ref _freeSlots);
                var claimedAll = false;
                if (free > 0)
                {
                    var wanted = Math.Min(free, _engine.Options.ClaimBatchSize);
                    var (claimed, epoch) = await ClaimAsync(wanted, typeLimits, stopping).ConfigureAwait(false);
                    for (var i = 0; i < claimed.Count; i++) // by index: a foreach over the interface boxes an enumerator per claim
                    {
                        var job = claimed[i];
                        Interlocked.Decrement(ref _freeSlots);
                        _dispatch.Writer.TryWrite(new Dispatch(job, epoch));
                    }

                    // A full batch: there may be more to claim.
                    claimedAll = claimed.Count == wanted;
                }

                if (claimedAll)
                {
                    continue;
                }

                await WaitForWorkAsync(stopping).ConfigureAwait(false);
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

    // After a failed claim the feeder tries again soon, whatever the (long) safety-net poll.
    private TimeSpan FailureDelay => _engine.Options.PollInterval < TimeSpan.FromSeconds(1) ? _engine.Options.PollInterval : TimeSpan.FromSeconds(1);

    private async ValueTask WaitForWorkAsync(CancellationToken stopping)
    {
        if ((_engine.Store.Capabilities & JobStoreCapabilities.SharedAcrossProcesses) != 0)
        {
            using var pollTimer = new CancellationTokenSource(_engine.Options.PollInterval, _engine.TimeProvider);
            using var poll = CancellationTokenSource.CreateLinkedTokenSource(stopping, pollTimer.Token);
            try
            {
                await _wake.Reader.WaitToReadAsync(poll.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                return;
            }
        }
        else
        {
            await _wake.Reader.WaitToReadAsync(stopping).ConfigureAwait(false);
        }

        _wake.Reader.TryRead(out _);
    }

    // With per-type limits, claims go one at a time under a lock, so the per-type counts that limit a claim are the
    // counts the claim then raises; a worker only tries the lock: if a claim is already under way it hands its slot back
    // to the feeder rather than queue up. Without them the store's claim is atomic on its own, so the workers and the
    // feeder claim side by side: no lock per job, and on a store that commits in groups their claims share a commit.
    private async ValueTask<(IReadOnlyList<JobRecord> Claimed, long Epoch)> ClaimAsync(int wanted, Dictionary<string, int> typeLimits, CancellationToken stopping, bool onlyIfFree = false)
    {
        if (!_hasTypeLimits)
        {
            return await ClaimUnlockedAsync(wanted, typeLimits, stopping).ConfigureAwait(false);
        }

        if (onlyIfFree)
        {
            if (!_claimLock.Wait(0, CancellationToken.None))
            {
                return ([], 0);
            }
        }
        else
        {
            await _claimLock.WaitAsync(stopping).ConfigureAwait(false);
        }

        try
        {
            foreach (var (type, slots) in _typeSlots)
            {
                typeLimits[type] = Math.Max(0, slots.Limit - Volatile.Read(ref slots.Running));
            }

            return await ClaimUnlockedAsync(wanted, typeLimits, stopping).ConfigureAwait(false);
        }
        finally
        {
            _claimLock.Release();
        }
    }

    private async ValueTask<(IReadOnlyList<JobRecord> Claimed, long Epoch)> ClaimUnlockedAsync(int wanted, Dictionary<string, int> typeLimits, CancellationToken stopping)
    {
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
            var job = claimed[i];
            if (_typeSlots.TryGetValue(job.TypeName, out var slots))
            {
                Interlocked.Increment(ref slots.Running);
            }
        }

        return (claimed, epoch);
    }

    private async Task WorkerLoopAsync()
    {
        var stopping = _stopping.Token;
        var worker = new Worker(this, stopping);
        await foreach (var dispatch in _dispatch.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var next = dispatch;
            while (true)
            {
                await RunOneAsync(next, worker.Finishing).ConfigureAwait(false);

                // Keep the slot and take the next queued job directly: no hand-off through the feeder while there is a
                // backlog. The claim was usually sent as the job finished, beside its last write (one commit for both);
                // if it found nothing, a job queued meanwhile (a caller waiting on each start) is looked for once more.
                var early = worker.TakeClaim(out var claim);
                try
                {
                    var (claimed, epoch) = early ? await claim.ConfigureAwait(false) : ([], 0);
                    if (claimed.Count == 0)
                    {
                        if (stopping.IsCancellationRequested)
                        {
                            break;
                        }

                        (claimed, epoch) = await ClaimAsync(1, worker.TypeLimits, stopping, onlyIfFree: true).ConfigureAwait(false);
                    }

                    if (claimed.Count == 0)
                    {
                        break;
                    }

                    // Claimed while the host began to stop: the run ends it as Interrupted, as for any job not yet started.
                    next = new Dispatch(claimed[0], epoch);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // A store outage here only sends the slot back to the feeder, which retries.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.FeederFailed(_logger, ex);
                    break;
                }
            }

            Interlocked.Increment(ref _freeSlots);
            Wake();
        }
    }

    private async ValueTask RunOneAsync(Dispatch dispatch, Action finishing)
    {
        try
        {
            await _engine.RunAsync(dispatch.Job, dispatch.Epoch, _stopping.Token, finishing).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One job's store failure must not take a worker slot away for good.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.WorkerFailed(_logger, ex, dispatch.Job.Id);
        }
        finally
        {
            if (_typeSlots.TryGetValue(dispatch.Job.TypeName, out var slots))
            {
                Interlocked.Decrement(ref slots.Running);
            }
        }
    }

    private readonly record struct Dispatch(JobRecord Job, long Epoch);

    // One per worker loop, so nothing is allocated per job: the claim of the next job, sent when the current one's code
    // has returned. The claimed job stays the worker's; it runs as soon as the current job's last write is stored.
    private sealed class Worker
    {
        private readonly JobScheduler _scheduler;
        private readonly CancellationToken _stopping;
        private ValueTask<(IReadOnlyList<JobRecord> Claimed, long Epoch)> _claim;
        private bool _claiming;

        public Worker(JobScheduler scheduler, CancellationToken stopping)
        {
            _scheduler = scheduler;
            _stopping = stopping;
            Finishing = ClaimNext;
        }

        public Dictionary<string, int> TypeLimits { get; } = new(StringComparer.Ordinal);

        public Action Finishing { get; }

        public bool TakeClaim(out ValueTask<(IReadOnlyList<JobRecord> Claimed, long Epoch)> claim)
        {
            claim = _claim;
            var taken = _claiming;
            (_claim, _claiming) = (default, false);
            return taken;
        }

        // Per-type limits still count the finishing job as running, so this claim is never more than the limits allow.
        private void ClaimNext()
        {
            if (!_claiming && !_stopping.IsCancellationRequested)
            {
#pragma warning disable CA2012 // Awaited exactly once, by the worker loop after TakeClaim.
                _claim = _scheduler.ClaimAsync(1, TypeLimits, _stopping, onlyIfFree: true);
#pragma warning restore CA2012
                _claiming = true;
            }
        }
    }

    private sealed class TypeSlots(int limit)
    {
        public readonly int Limit = limit;
        public int Running;
    }
}
