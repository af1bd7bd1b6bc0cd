using Quartz;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// What the Quartz.NET systems share: a scheduler built as Quartz's documentation shows (a named instance, the default
/// thread pool, a job store the subclass chooses), one-off no-op jobs (a job detail and a trigger that starts now)
/// scheduled by the callers, and an orderly shutdown that waits for running jobs.
/// </summary>
public abstract class QuartzSystemBase(int maxConcurrency, int callers) : IJobSystem
{
    private StandaloneSchedulerFactory? _factory;
    private IScheduler? _scheduler;

    public async Task StartAsync()
    {
        await PrepareAsync();

        // Build() rather than BuildScheduler(): the factory owns the container, and a system lives for one iteration only.
        _factory = QuartzSchedulerBuilder
            .Create(q =>
            {
                q.ConfigureScheduler(o => o.InstanceName = InstanceName);
                q.UseDefaultThreadPool(maxConcurrency);
                UseStore(q);
            })
            .Build();
        _scheduler = await _factory.GetScheduler();
        await _scheduler.Start();
    }

    public async Task RunAsync(int jobs)
    {
        var scheduler = _scheduler ?? throw new InvalidOperationException("Start the system first.");
        var done = Completion.Shared.Arm(jobs);
        await Callers.RunAsync(jobs, callers, async share =>
        {
            for (var i = 0; i < share; i++)
            {
                var job = JobBuilder.Create<QuartzNoOpJob>().Build();
                var trigger = TriggerBuilder.Create().StartNow().Build();
                await scheduler.ScheduleJob(job, trigger);
            }
        });
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

        await CleanUpAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Gets the scheduler's instance name.</summary>
    protected virtual string InstanceName { get; } = "Benchmark-" + Guid.NewGuid().ToString("N");

    /// <summary>Chooses and configures the job store.</summary>
    protected abstract void UseStore(IQuartzBuilder quartz);

    /// <summary>Runs before the scheduler is built (creating the store's tables, for a persistent store).</summary>
    protected virtual Task PrepareAsync() => Task.CompletedTask;

    /// <summary>Runs once the scheduler is shut down (deleting the store's file or schema).</summary>
    protected virtual ValueTask CleanUpAsync() => ValueTask.CompletedTask;

    /// <summary>The statements of an embedded tables script: comment lines dropped, statements separated by a line <c>;;</c>.</summary>
    protected static string[] ReadScript(string resourceName)
    {
        using var stream = typeof(QuartzSystemBase).Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"The Quartz tables script {resourceName} is not embedded in the benchmark assembly.");
        using var reader = new StreamReader(stream);
        var lines = reader.ReadToEnd().Split('\n').Where(l => !l.StartsWith("--", StringComparison.Ordinal));
        return string.Join('\n', lines)
            .Split("\n;;\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
