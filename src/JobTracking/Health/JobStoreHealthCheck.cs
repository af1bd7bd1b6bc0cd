using JobTracking.Ownership;
using JobTracking.Running;
using JobTracking.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace JobTracking.Health;

/// <summary>
/// Asks the store for a cheap read (the job counts) within <see cref="JobTrackingHealthCheckOptions.StoreTimeout"/>,
/// then looks at the lease heartbeat: a store that does not answer is unhealthy; one whose last heartbeat failed, or
/// that has not had a successful heartbeat for two intervals while the host runs, is degraded.
/// </summary>
internal sealed class JobStoreHealthCheck : IHealthCheck
{
    private readonly IJobStore _store;
    private readonly IJobQueryStore _queries;
    private readonly JobEngine _engine;
    private readonly LeaseKeeper _leases;
    private readonly IOptions<JobTrackingHealthCheckOptions> _options;

    public JobStoreHealthCheck(IJobStore store, IJobQueryStore queries, JobEngine engine, LeaseKeeper leases, IOptions<JobTrackingHealthCheckOptions> options)
    {
        _store = store;
        _queries = queries;
        _engine = engine;
        _leases = leases;
        _options = options;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var timeout = _options.Value.StoreTimeout;
        var time = _engine.TimeProvider;
        var storeName = _queries.GetType().Name;
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["store"] = storeName,
            ["capabilities"] = _store.Capabilities.ToString(),
        };

        IReadOnlyList<JobCount> counts;
        using (var timer = new CancellationTokenSource(timeout, time))
        using (var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token))
        {
            try
            {
                // Bounded whether or not the store honours the token.
                counts = await _queries.CountAsync(bound.Token).AsTask().WaitAsync(bound.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var error = new TimeoutException($"The job store {storeName} did not answer a count of the jobs within {timeout.TotalSeconds:0.###} s.");
                return new HealthCheckResult(context.Registration.FailureStatus, error.Message, error, data);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"The job store {storeName} failed to count the jobs: {ex.Message}", ex, data);
            }
        }

        long queued = 0;
        foreach (var count in counts)
        {
            if (count.Status == JobStatus.Queued)
            {
                queued += count.Count;
            }
        }

        data["queued"] = queued;
        var heartbeat = _leases.Heartbeat;
        if (heartbeat.LastSuccess is { } lastSuccess)
        {
            data["lastHeartbeat"] = lastSuccess;
        }

        if (heartbeat.LastError is { } heartbeatError)
        {
            return HealthCheckResult.Degraded($"The job store {storeName} answers, but the last lease heartbeat failed: {heartbeatError.Message}", heartbeatError, data);
        }

        var late = 2 * _engine.Options.HeartbeatInterval;
        if (_leases.IsRunning && heartbeat.LastSuccess is { } last && time.GetUtcNow() - last > late)
        {
            return HealthCheckResult.Degraded($"The job store {storeName} answers, but the lease heartbeat is late: the last one succeeded at {last:O}, more than {late.TotalSeconds:0.###} s (twice the heartbeat interval) ago.", data: data);
        }

        return HealthCheckResult.Healthy($"The job store {storeName} answers; {queued} job(s) queued.", data);
    }
}
