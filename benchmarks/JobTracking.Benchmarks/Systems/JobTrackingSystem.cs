using JobTracking.Sqlite;
using JobTracking.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// JobTracking with its defaults, in a service provider whose hosted services are started as a host would: the
/// in-memory store, or a SQLite file of its own (<c>UseSqlite</c>) that is deleted when the system is disposed.
/// </summary>
public sealed class JobTrackingSystem : IJobSystem
{
    private readonly ServiceProvider _services;
    private readonly TempDatabase? _database;
    private readonly IJobRunner _runner;
    private readonly Completion _completion = new();
    private readonly LatencyProbe _probe = new();
    private readonly JobScheduler _scheduler;
    private readonly bool _countByEvents;
    private readonly int _callers;
    private readonly int? _bulkBatch;
    private IHostedService[] _hosted = [];
    private IJobSubscription? _finished;

    private JobTrackingSystem(int maxConcurrency, bool countByEvents, BenchStore store, int callers, int? bulkBatch, Action<JobTrackingOptions>? configure, Action<SqliteJobStoreOptions>? sqlite)
    {
        _countByEvents = countByEvents;
        _callers = callers;
        _bulkBatch = bulkBatch;
        var database = _database = store == BenchStore.InMemory ? null : new TempDatabase();
        var services = new ServiceCollection();
        services.AddSingleton(_completion);
        services.AddSingleton(_probe);
        services.AddJobTracking(b =>
        {
            b.AddJob<CountingJob>()
                .AddJob<NoOpJob>()
                .AddJob<LatencyJob>()
                .AddJob<LoggingJob>()
                .Configure(o =>
                {
                    o.MaxConcurrency = maxConcurrency;
                    configure?.Invoke(o);
                });
            if (database is not null)
            {
                b.UseSqlite(database.ConnectionString, o =>
                {
                    o.Synchronous = TempDatabase.Options(store).Synchronous;
                    sqlite?.Invoke(o);
                });
            }
        });
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

    /// <summary>Gets the store's queries, to count what is kept.</summary>
    public IJobQueryStore Queries => _services.GetRequiredService<IJobQueryStore>();

    /// <summary>Gets the store's change feed, to see how many changes it holds.</summary>
    public IJobFeedStore Feed => _services.GetRequiredService<IJobFeedStore>();

    /// <summary>Gets the options the system runs with.</summary>
    public JobTrackingOptions Options => _services.GetRequiredService<IOptions<JobTrackingOptions>>().Value;

    /// <summary>Gets the events, to subscribe as an application would.</summary>
    public IJobEvents Events => _services.GetRequiredService<IJobEvents>();

    /// <summary>Gets the SQLite file's path, or <see langword="null"/> on the in-memory store.</summary>
    public string? DatabasePath => _database?.Path;

    /// <summary>
    /// Creates the system. <paramref name="countByEvents"/> counts finished jobs through an <c>OnJobFinished</c>
    /// subscription instead of in the job; <paramref name="store"/> picks the store; <paramref name="callers"/> is how
    /// many concurrent callers <see cref="RunAsync"/> starts the jobs from (1: one by one from one caller);
    /// <paramref name="bulkBatch"/>, when set, has each caller start its share through <c>StartManyAsync</c> in batches of
    /// that many jobs instead of one <c>StartAsync</c> per job; <paramref name="configure"/> changes other options.
    /// </summary>
    public static JobTrackingSystem Create(int? maxConcurrency = null, bool countByEvents = false, BenchStore store = BenchStore.InMemory, int callers = 1, int? bulkBatch = null, Action<JobTrackingOptions>? configure = null, Action<SqliteJobStoreOptions>? sqlite = null) =>
        new(maxConcurrency ?? Environment.ProcessorCount, countByEvents, store, callers, bulkBatch, configure, sqlite);

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
        await EnqueueAsync(jobs, _callers);
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

    /// <summary>Starts <paramref name="jobs"/> counting no-op jobs one after the other (or batch after batch with a bulk size), as a caller would.</summary>
    public async Task EnqueueAsync(int jobs)
    {
        var type = _countByEvents ? nameof(NoOpJob) : nameof(CountingJob);
        if (_bulkBatch is { } size)
        {
            var batch = Enumerable.Repeat(NoOpParameters.Instance, size).ToArray();
            for (var done = 0; done < jobs; done += size)
            {
                await _runner.StartManyAsync(type, jobs - done >= size ? batch : batch[..(jobs - done)]);
            }

            return;
        }

        for (var i = 0; i < jobs; i++)
        {
            await _runner.StartAsync(type, NoOpParameters.Instance);
        }
    }

    /// <summary>
    /// Starts <paramref name="jobs"/> counting no-op jobs from <paramref name="callers"/> concurrent callers, each
    /// starting its share one after the other (as the requests of a web application would); 1 is <see cref="EnqueueAsync(int)"/>.
    /// </summary>
    public Task EnqueueAsync(int jobs, int callers)
    {
        if (callers <= 1)
        {
            return EnqueueAsync(jobs);
        }

        var tasks = new Task[callers];
        for (var c = 0; c < callers; c++)
        {
            var share = (jobs / callers) + (c < jobs % callers ? 1 : 0);
            tasks[c] = Task.Run(() => EnqueueAsync(share));
        }

        return Task.WhenAll(tasks);
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
        _database?.Dispose();
    }
}
