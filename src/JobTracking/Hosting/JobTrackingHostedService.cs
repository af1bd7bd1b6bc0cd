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
    private readonly IHostApplicationLifetime? _lifetime;
    private CancellationTokenRegistration _stopping;

    public JobTrackingHostedService(
        JobEngine engine,
        JobScheduler scheduler,
        LeaseKeeper leases,
        JobEventHandlerSubscriptions handlers,
        JobRetention retention,
        ScheduleLoop schedules,
        InstanceHeartbeats instances,
        IHostApplicationLifetime? lifetime = null)
    {
        _lifetime = lifetime;
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

        // The host's stop begins with ApplicationStopping, before the hosted services registered after this one (a web
        // server draining its requests) stop: no job starts from then on.
        _stopping = _lifetime?.ApplicationStopping.Register(static scheduler => ((JobScheduler)scheduler!).StopClaiming(), _scheduler) ?? default;
        _retention.Start();
        await _schedules.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    // Bounded by the host's token: with the store down, the host still stops, and the jobs' leases lapse instead.
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _leases.StopTakingOver();

        // Nothing is claimed once the stop has begun (without a host's ApplicationStopping, from here), not only once the
        // schedules and retention have stopped: a job claimed in between would start while the host stops.
        await _stopping.DisposeAsync().ConfigureAwait(false);
        _scheduler.StopClaiming();
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
