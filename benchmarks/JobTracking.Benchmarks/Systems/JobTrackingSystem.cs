using JobTracking.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobTracking.Benchmarks.Systems;

/// <summary>JobTracking with its defaults and the in-memory store, in a service provider whose hosted services are started as a host would.</summary>
public sealed class JobTrackingSystem : IJobSystem
{
    private readonly ServiceProvider _services;
    private readonly IJobRunner _runner;
    private readonly Completion _completion = new();
    private readonly LatencyProbe _probe = new();
    private readonly JobScheduler _scheduler;
    private readonly bool _countByEvents;
    private IHostedService[] _hosted = [];
    private IJobSubscription? _finished;

    private JobTrackingSystem(int maxConcurrency, bool countByEvents)
    {
        _countByEvents = countByEvents;
        var services = new ServiceCollection();
        services.AddSingleton(_completion);
        services.AddSingleton(_probe);
        services.AddJobTracking(b => b
            .AddJob<CountingJob>()
            .AddJob<NoOpJob>()
            .AddJob<LatencyJob>()
            .Configure(o => o.MaxConcurrency = maxConcurrency));
        _services = services.BuildServiceProvider();
        _runner = _services.GetRequiredService<IJobRunner>();
        _scheduler = _services.GetRequiredService<JobScheduler>();
    }

    /// <summary>Gets the runner, to queue jobs before the workers start.</summary>
    public IJobRunner Runner => _runner;

    /// <summary>Gets where <see cref="LatencyJob"/> stamps its entry.</summary>
    public LatencyProbe Probe => _probe;

    /// <summary>Gets the store, to read what is kept.</summary>
    public IJobStore Store => _services.GetRequiredService<IJobStore>();

    /// <summary>Creates the system. <paramref name="countByEvents"/> counts finished jobs through an <c>OnJobFinished</c> subscription instead of in the job.</summary>
    public static JobTrackingSystem Create(int? maxConcurrency = null, bool countByEvents = false) =>
        new(maxConcurrency ?? Environment.ProcessorCount, countByEvents);

    public async Task StartAsync()
    {
        _hosted = [.. _services.GetServices<IHostedService>()];
        foreach (var service in _hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }
    }

    public async Task RunAsync(int jobs)
    {
        var done = ArmCompletion(jobs);
        await EnqueueAsync(jobs);
        await done;
        await DrainedAsync();
    }

    /// <summary>Arms the completion count for a batch of <paramref name="jobs"/>.</summary>
    public Task ArmCompletion(int jobs)
    {
        if (_countByEvents && _finished is null)
        {
            // A buffer that holds every finished event of the largest batch: DropOldest must never drop one here.
            _finished = _services.GetRequiredService<IJobEvents>().OnJobFinished(
                _ => _completion.Signal(),
                new JobSubscriptionOptions { BufferCapacity = 1_000_000 });
        }

        return _completion.Arm(jobs);
    }

    /// <summary>Starts <paramref name="jobs"/> counting no-op jobs one after the other, as a caller would.</summary>
    public async Task EnqueueAsync(int jobs)
    {
        var type = _countByEvents ? nameof(NoOpJob) : nameof(CountingJob);
        for (var i = 0; i < jobs; i++)
        {
            await _runner.StartAsync(type, NoOpParameters.Instance);
        }
    }

    /// <summary>Returns once no claimed job is left in a worker: the last ones have stored their Completed status.</summary>
    public async Task DrainedAsync()
    {
        var spin = default(SpinWait);
        while (_scheduler.Busy != 0)
        {
            if (spin.NextSpinWillYield)
            {
                await Task.Yield();
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>Starts only the scheduler: what the drain of a backlog measures, without the host's start-up recovery scan.</summary>
    public void StartSchedulerOnly() => _scheduler.Start();

    public async ValueTask DisposeAsync()
    {
        _finished?.Dispose();
        for (var i = _hosted.Length - 1; i >= 0; i--)
        {
            await _hosted[i].StopAsync(CancellationToken.None);
        }

        if (_hosted.Length == 0)
        {
            await _scheduler.StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
    }
}
