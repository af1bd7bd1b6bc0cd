using Quartz;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// Quartz.NET 4 with the in-memory store (RAMJobStore) and the default thread pool of 10, built with
/// <c>QuartzSchedulerBuilder</c> as its quick start shows for an application without a host (StdSchedulerFactory is
/// gone in 4.x). Each job is a one-off, as the "One-Off Job / Dynamic Registration" how-to shows: a job detail and a
/// trigger that starts now. MaxBatchSize stays automatic (1 for the in-memory store, which its docs say is faster
/// for a burst of one-offs).
/// </summary>
public sealed class QuartzSystem : IJobSystem
{
    private readonly int _maxConcurrency;
    private StandaloneSchedulerFactory? _factory;
    private IScheduler? _scheduler;

    public QuartzSystem(int maxConcurrency = 10)
    {
        _maxConcurrency = maxConcurrency;
    }

    public async Task StartAsync()
    {
        // Build() rather than BuildScheduler(): the factory owns the container, and a system lives for one iteration only.
        _factory = QuartzSchedulerBuilder
            .Create(q => q
                .ConfigureScheduler(o => o.InstanceName = "Benchmark-" + Guid.NewGuid().ToString("N"))
                .UseDefaultThreadPool(_maxConcurrency)
                .UseInMemoryStore())
            .Build();
        _scheduler = await _factory.GetScheduler();
        await _scheduler.Start();
    }

    public async Task RunAsync(int jobs)
    {
        var scheduler = _scheduler ?? throw new InvalidOperationException("Start the system first.");
        var done = Completion.Shared.Arm(jobs);
        for (var i = 0; i < jobs; i++)
        {
            var job = JobBuilder.Create<QuartzNoOpJob>().Build();
            var trigger = TriggerBuilder.Create().StartNow().Build();
            await scheduler.ScheduleJob(job, trigger);
        }

        await done;
    }

    public async ValueTask DisposeAsync()
    {
        if (_scheduler is not null)
        {
            await _scheduler.Shutdown(waitForJobsToComplete: true);
        }

        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }
}

/// <summary>The Quartz job: signals and returns.</summary>
public sealed class QuartzNoOpJob : IJob
{
    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        Completion.Shared.Signal();
        return ValueTask.CompletedTask;
    }
}
