using JobTracking.Events;
using JobTracking.Running;
using JobTracking.Scheduling;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace JobTracking.Hosting;

/// <summary>Starts the scheduler with the host (after recovering what an earlier run left active) and stops it within the shutdown grace period.</summary>
internal sealed class JobTrackingHostedService : IHostedService
{
    private static readonly JobStatus[] LeftActive = [JobStatus.Running, JobStatus.Pausing, JobStatus.ShuttingDown, JobStatus.Cancelling];
    private static readonly JobStatus[] InterruptedOnly = [JobStatus.Interrupted];

    private readonly JobEngine _engine;
    private readonly JobScheduler _scheduler;
    private readonly JobEventHandlerSubscriptions _handlers;
    private readonly JobRetention _retention;
    private readonly ILogger _logger;

    public JobTrackingHostedService(JobEngine engine, JobScheduler scheduler, JobEventHandlerSubscriptions handlers, JobRetention retention)
    {
        _retention = retention;
        _engine = engine;
        _scheduler = scheduler;
        _handlers = handlers;
        _logger = engine.LoggerFactory.CreateLogger<JobTrackingHostedService>();
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _handlers.Start();
        _engine.Journal.Start();
        // A store no other process uses has no live node besides this one: whatever it holds active was left by a
        // crash, whichever name the node had then. In a shared store only this node's jobs are known to be orphans.
        var everyNode = !_engine.Store.IsShared;
        var recovered = await RecoverAsync(LeftActive, job => everyNode || job.Node == _engine.Node
            ? job.Status == JobStatus.Cancelling ? JobStatus.Cancelled : JobStatus.Interrupted
            : null, cancellationToken).ConfigureAwait(false);
        if (recovered > 0)
        {
            Log.RecoveredJobs(_logger, recovered, _engine.Node);
        }

        if (_engine.Options.ResumeInterruptedJobs)
        {
            var resumed = await RecoverAsync(InterruptedOnly, _ => JobStatus.Queued, cancellationToken).ConfigureAwait(false);
            if (resumed > 0)
            {
                Log.ResumedInterruptedJobs(_logger, resumed);
            }
        }

        _scheduler.Start();
        _retention.Start();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _retention.StopAsync().ConfigureAwait(false);
        await _scheduler.StopAsync(cancellationToken).ConfigureAwait(false);
        await _engine.Journal.StopAsync().ConfigureAwait(false);
        _handlers.Stop();
    }

    private async Task<int> RecoverAsync(JobStatus[] statuses, Func<JobRecord, JobStatus?> target, CancellationToken cancellationToken)
    {
        var count = 0;
        string? token = null;
        do
        {
            var page = await _engine.Store.QueryAsync(new JobQuery { Statuses = statuses, PageSize = JobQuery.MaxPageSize, PageToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var job in page.Items)
            {
                if (target(job) is { } to && await _engine.TryTransitionAsync(job, _engine.Transition(job, to), cancellationToken).ConfigureAwait(false))
                {
                    count++;
                }
            }

            token = page.NextPageToken;
        }
        while (token is not null);

        return count;
    }
}
