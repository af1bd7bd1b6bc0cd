using JobTracking.Health;
using JobTracking.Running;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.Ownership;

/// <summary>
/// Keeps this instance's claims alive and takes back the jobs of instances that are gone: every heartbeat it renews the
/// leases of its runs in one call (a run whose lease was not renewed has lost its job), then reclaims expired leases,
/// set-based, in one store call that also queues interrupted jobs again in their place (unless the options say not to
/// resume them). Start-up recovery is the same reclaim.
/// </summary>
internal sealed class LeaseKeeper : IAsyncDisposable, IDisposable
{
    private const int ReclaimBatchSize = 1000;

    private readonly JobEngine _engine;
    private readonly IJobQueryStore _queries;
    private readonly InstanceHeartbeats _instances;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private HeartbeatState _heartbeat = new(null, null, null);
    private long _queuedSinceTicks = -1;
    private volatile bool _takingOver = true;
    private readonly bool _countAlways;

    public LeaseKeeper(JobEngine engine, IJobQueryStore queries, InstanceHeartbeats instances, QueueCountWanted? queueCountWanted = null)
    {
        _countAlways = queueCountWanted is not null;
        _engine = engine;
        _queries = queries;
        _instances = instances;
        _logger = engine.LoggerFactory.CreateLogger<LeaseKeeper>();
    }

    /// <summary>Gets when the last heartbeat (or the start-up recovery) succeeded and, if the last one failed, its error, by the engine's clock.</summary>
    public HeartbeatState Heartbeat => Volatile.Read(ref _heartbeat);

    /// <summary>Gets whether the heartbeat runs: started and not stopping.</summary>
    public bool IsRunning => _loop is not null && !_stopping.IsCancellationRequested;

    /// <summary>Gets since when the heartbeats have counted queued jobs without a pause (by the engine's clock), or <see langword="null"/> if the last count found none.</summary>
    public DateTimeOffset? QueuedSince
    {
        get
        {
            var ticks = Interlocked.Read(ref _queuedSinceTicks);
            return ticks < 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    private bool Shared => (_engine.Store.Capabilities & JobStoreCapabilities.SharedAcrossProcesses) != 0;

    /// <summary>Recovers what instances that are gone left active, queues interrupted jobs again if the options say so, and starts the heartbeat.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A store no other process uses has no live instance besides this one: whatever it holds active was left by
        // one that is gone, whatever its lease says. In a shared store only expired leases are known to be orphans.
        var (recovered, resumed) = await ReclaimAsync(includeLiveLeases: !Shared, cancellationToken).ConfigureAwait(false);
        if (recovered > 0)
        {
            Log.RecoveredJobs(_logger, recovered, _engine.Node);
        }

        if (resumed > 0)
        {
            Log.ResumedInterruptedJobs(_logger, resumed);
        }

        await RefreshQueueDepthAsync(cancellationToken).ConfigureAwait(false);
        await _instances.BeatAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _heartbeat, new HeartbeatState(_engine.TimeProvider.GetUtcNow(), null, null));

        // The timer starts now, not when the loop's thread gets to it: the first heartbeat is due one interval after start.
        var timer = new PeriodicTimer(_engine.Options.HeartbeatInterval, _engine.TimeProvider);
        _loop ??= Task.Run(() => LoopAsync(timer), CancellationToken.None);
    }

    /// <summary>
    /// Stops taking over other instances' jobs while the heartbeat goes on renewing this one's leases: called as the host
    /// starts to stop. A stopping instance runs nothing new, and its own jobs, stored Interrupted as they reach a safe
    /// point, are left for the live instances (or the next start) to resume.
    /// </summary>
    public void StopTakingOver() => _takingOver = false;

    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    // A container disposed synchronously only stops the loop.
    public void Dispose() => _stopping.Cancel();

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>One heartbeat: renew, then reclaim and resume (renewing first, so a late heartbeat never reclaims this instance's own live jobs).</summary>
    public async Task BeatAsync(CancellationToken cancellationToken)
    {
        await RenewAsync(cancellationToken).ConfigureAwait(false);
        if (_takingOver)
        {
            var (reclaimed, resumed) = await ReclaimAsync(includeLiveLeases: false, cancellationToken).ConfigureAwait(false);
            if (reclaimed > 0)
            {
                Log.Reclaimed(_logger, reclaimed, _engine.Instance.Id);
            }

            if (resumed > 0)
            {
                Log.ResumedInterruptedJobs(_logger, resumed);
            }
        }

        // The queued jobs are counted for the stuck-queue health check and the queue-depth gauge: with neither, an idle
        // instance sends the store nothing for them.
        if (_countAlways || _engine.QueueDepthObserved)
        {
            await RefreshQueueDepthAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(PeriodicTimer timer)
    {
        using var owned = timer;
        var stopping = _stopping.Token;
        while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
        {
            try
            {
                await BeatAsync(stopping).ConfigureAwait(false);
                Volatile.Write(ref _heartbeat, new HeartbeatState(_engine.TimeProvider.GetUtcNow(), null, null));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                Volatile.Write(ref _heartbeat, Heartbeat with { LastError = ex, LastErrorAt = _engine.TimeProvider.GetUtcNow() });
                Log.HeartbeatFailed(_logger, ex);
            }

            // Apart from the leases: the list of instances failing never stops this instance's jobs.
            await _instances.BeatAsync(stopping).ConfigureAwait(false);
        }
    }

    // Renews every claim this instance holds (running, claimed ahead, or waiting for a worker). The moment each attempt
    // is sent is what a renewed lease counts from on this node: the store dated it at some moment after that. Each
    // attempt lists the claims held at that moment, so a retry never sends a claim lost while the store did not answer.
    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        if (_engine.Claims.Count == 0)
        {
            return;
        }

        Dictionary<Guid, Guid> claims = [];
        var sent = 0L;
        var renewed = await _engine.Retry.RunAsync(_engine, (engine, ct) =>
        {
            claims = engine.Claims.Claims();
            sent = engine.Claims.Now;
            return claims.Count == 0
                ? new ValueTask<IReadOnlyCollection<Guid>>([])
                : engine.Store.RenewLeasesAsync(new JobLeaseRenewal { InstanceId = engine.Instance.Id, Claims = claims, LeaseDuration = engine.Options.LeaseDuration }, ct);
        }, cancellationToken).ConfigureAwait(false);
        _engine.Claims.Renewed(claims, renewed, sent);
    }

    // One store call per batch takes the jobs whose owner is gone and, when interrupted jobs are resumed, queues them
    // again in the same step, in their place and with their concurrency key: nothing is queued again from here, where
    // it would go to the back of the queue after the key had been freed for the next job. Interrupted jobs left by an
    // instance that stopped cleanly come back the same way, so every live instance resumes them, not only a start.
    private async Task<(int Reclaimed, int Resumed)> ReclaimAsync(bool includeLiveLeases, CancellationToken cancellationToken)
    {
        var (reclaimed, resumed) = (0, 0);
        IReadOnlyList<JobReclaimed> batch;
        do
        {
            var request = new JobReclaimRequest
            {
                InstanceId = _engine.Instance.Id,
                At = _engine.TimeProvider.GetUtcNow(),
                IncludeLiveLeases = includeLiveLeases,
                MaxCount = ReclaimBatchSize,
                Resume = _engine.Options.ResumeInterruptedJobs,
            };
            batch = await _engine.Retry.RunAsync(request, (r, ct) => _engine.Store.ReclaimAsync(r, ct), cancellationToken).ConfigureAwait(false);
            foreach (var taken in batch)
            {
                if (taken.PreviousStatus == JobStatus.Interrupted)
                {
                    resumed++;
                }
                else
                {
                    reclaimed++;
                }

                _engine.AnnounceReclaimed(taken);
                _engine.History.RecordReclaim(taken, request.At);
            }
        }
        while (batch.Count >= ReclaimBatchSize);

        return (reclaimed, resumed);
    }

    private async Task RefreshQueueDepthAsync(CancellationToken cancellationToken)
    {
        var counts = await _engine.Retry.RunAsync(_queries, static (q, ct) => q.CountAsync(ct), cancellationToken).ConfigureAwait(false);
        long queued = 0;
        foreach (var count in counts)
        {
            if (count.Status == JobStatus.Queued)
            {
                queued += count.Count;
            }
        }

        _engine.QueueDepth = queued;
        if (queued == 0)
        {
            Interlocked.Exchange(ref _queuedSinceTicks, -1);
        }
        else
        {
            Interlocked.CompareExchange(ref _queuedSinceTicks, _engine.TimeProvider.GetUtcNow().UtcTicks, -1);
        }
    }
}

/// <summary>The outcome of the lease heartbeats so far.</summary>
/// <param name="LastSuccess">When the last heartbeat (or the start-up recovery) succeeded; <see langword="null"/> before the host started.</param>
/// <param name="LastError">The error of the last heartbeat if it failed; <see langword="null"/> if it succeeded.</param>
/// <param name="LastErrorAt">When the last heartbeat failed, if it did.</param>
internal sealed record HeartbeatState(DateTimeOffset? LastSuccess, Exception? LastError, DateTimeOffset? LastErrorAt);
