using JobTracking.Ownership;
using JobTracking.Running;
using JobTracking.Scheduling;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace JobTracking.Health;

/// <summary>
/// Unhealthy when the scheduler is not running (the host not started, or stopping) or one of its loops has ended;
/// degraded when jobs are queued and this node has free slots but has claimed none for
/// <see cref="JobTrackingHealthCheckOptions.StuckQueueThreshold"/>.
/// </summary>
internal sealed class JobSchedulerHealthCheck : IHealthCheck
{
    private readonly JobScheduler _scheduler;
    private readonly JobEngine _engine;
    private readonly LeaseKeeper _leases;
    private readonly IOptions<JobTrackingHealthCheckOptions> _options;

    public JobSchedulerHealthCheck(JobScheduler scheduler, JobEngine engine, LeaseKeeper leases, IOptions<JobTrackingHealthCheckOptions> options)
    {
        _scheduler = scheduler;
        _engine = engine;
        _leases = leases;
        _options = options;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var free = _scheduler.FreeSlots;
        var queued = _engine.QueueDepth;
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["running"] = _scheduler.Busy,
            ["freeSlots"] = free,
            ["claimedAhead"] = _scheduler.ClaimedAhead,
            ["queued"] = queued,
        };

        if (!_scheduler.IsRunning)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, $"The job scheduler of node {_engine.Node} is not running: the host has not started, or it is stopping.", data: data));
        }

        if (_scheduler.FindDeadLoop() is { } dead)
        {
            var reason = dead.Error is null ? "ended" : $"failed: {dead.Error.Message}";
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, $"The job scheduler's {dead.Loop} loop of node {_engine.Node} has {reason}; no new job is started.", dead.Error, data));
        }

        // Waiting since the later of this node's last claim and the moment the heartbeats first counted the queue non-empty.
        var threshold = _options.Value.StuckQueueThreshold;
        if (queued > 0 && free > 0 && _scheduler.LastClaimAt is { } lastClaim)
        {
            var since = _leases.QueuedSince is { } queuedSince && queuedSince > lastClaim ? queuedSince : lastClaim;
            var waited = _engine.TimeProvider.GetUtcNow() - since;
            if (waited > threshold)
            {
                data["lastClaim"] = lastClaim;
                return Task.FromResult(HealthCheckResult.Degraded(
                    $"The job queue looks stuck: {queued} job(s) queued and {free} free slot(s) on node {_engine.Node}, but no job claimed for {waited.TotalSeconds:0.###} s (more than {threshold.TotalSeconds:0.###} s).",
                    data: data));
            }
        }

        return Task.FromResult(HealthCheckResult.Healthy($"The job scheduler of node {_engine.Node} runs {_scheduler.Busy} job(s); {free} slot(s) free, {queued} job(s) queued.", data));
    }
}
