using JobTracking.Events;
using JobTracking.Ownership;
using JobTracking.Running;
using JobTracking.Scheduling;
using JobTracking.Schedules;
using Microsoft.Extensions.Hosting;

namespace JobTracking.Hosting;

/// <summary>Starts the scheduler with the host (after reclaiming what instances that are gone left active) and stops it within the host's shutdown time.</summary>
internal sealed class JobTrackingHostedService : IHostedService
{
    private readonly JobEngine _engine;
    private readonly JobScheduler _scheduler;
    private readonly LeaseKeeper _leases;
    private readonly JobEventHandlerSubscriptions _handlers;
    private readonly JobRetention _retention;
    private readonly ScheduleLoop _schedules;
    private readonly InstanceHeartbeats _instances;

    public JobTrackingHostedService(JobEngine engine, JobScheduler scheduler, LeaseKeeper leases, JobEventHandlerSubscriptions handlers, JobRetention retention, ScheduleLoop schedules, InstanceHeartbeats instances)
    {
        _instances = instances;
        _schedules = schedules;
        _retention = retention;
        _engine = engine;
        _scheduler = scheduler;
        _leases = leases;
        _handlers = handlers;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _engine.Feed.StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        _handlers.Start();
        _engine.Journal.Start();
        await _leases.StartAsync(cancellationToken).ConfigureAwait(false);
        _scheduler.Start();
        _retention.Start();
        await _schedules.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    // Bounded by the host's token: with the store down, the host still stops, and the jobs' leases lapse instead.
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _leases.StopTakingOver();
        try
        {
            await _schedules.StopAsync().ConfigureAwait(false);
            await _retention.StopAsync().ConfigureAwait(false);
            await _scheduler.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _leases.StopAsync().ConfigureAwait(false);
            await _instances.ForgetAsync(cancellationToken).ConfigureAwait(false);
            await _engine.Journal.StopAsync(cancellationToken).ConfigureAwait(false);
            _handlers.Stop();
        }
    }
}
