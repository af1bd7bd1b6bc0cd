using JobTracking.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// JobTracking on its PostgreSQL store (<c>UsePostgreSql(connectionString, o =&gt; o.Schema = ...)</c>), as one host or as
/// several hosts sharing one schema: each host is a service provider of its own (its own store instance, data source,
/// writer, listener and scheduler, and its own instance id), started as a host would start it, all in this process.
/// The schema is fresh for each system (created by the first host's start-up, as the store does) and dropped when the
/// system is disposed. MaxConcurrency = PostgresBench.Workers per host unless given; the store's options otherwise.
/// </summary>
/// <remarks>
/// Several hosts in one process stand in for several processes: they share the CPU, the thread pool and the GC, but
/// nothing of JobTracking's, and they talk to each other only through the database (LISTEN/NOTIFY and the tables), as
/// separate processes would. Jobs are started by <c>callers</c> concurrent callers, caller i through host i mod hosts,
/// as the requests of a web application spread over its instances; with a bulk size, one caller per host starts that
/// host's share through <c>StartManyAsync</c> in batches of that many jobs.
/// </remarks>
public sealed class JobTrackingPostgreSqlSystem : IPostgresSystem
{
    private readonly string _adminConnectionString;
    private readonly Completion _completion = new();
    private readonly Host[] _hosts;
    private readonly int _callers;
    private readonly int? _bulkBatch;

    /// <summary>Creates the system; <paramref name="maxConcurrency"/> sets each host's MaxConcurrency (default: <see cref="PostgresBench.Workers"/>).</summary>
    public JobTrackingPostgreSqlSystem(int instances = 1, int callers = 64, int? bulkBatch = null, string? connectionString = null, int? maxConcurrency = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(instances, 1);
        _adminConnectionString = connectionString ?? PostgresBench.Require();
        _callers = bulkBatch is null ? callers : instances;
        _bulkBatch = bulkBatch;
        Schema = PostgresBench.NewSchema("jt_bench");
        ApplicationName = "jobtracking-bench-" + Schema;
        var hostConnectionString = PostgresBench.WithApplicationName(_adminConnectionString, ApplicationName);
        _hosts = new Host[instances];
        for (var i = 0; i < instances; i++)
        {
            var services = new ServiceCollection();
            services.AddSingleton(_completion);
            services.AddJobTracking(b => b
                .AddJob<CountingJob>()
                .AddJob<NoOpJob>()
                .Configure(o => o.MaxConcurrency = maxConcurrency ?? PostgresBench.Workers)
                .UsePostgreSql(hostConnectionString, o => o.Schema = Schema));
            _hosts[i] = new Host(services.BuildServiceProvider());
        }
    }

    /// <summary>Gets the schema the hosts share.</summary>
    public string Schema { get; }

    public string ApplicationName { get; }

    /// <summary>Gets the rows updated in the jobs table and the HOT ones among them, read when the system is disposed (null before, or when the server did not say).</summary>
    public (long Updates, long HotUpdates)? JobsTableUpdates { get; private set; }

    public int Instances => _hosts.Length;

    public async Task StartAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StartAsync();
        }
    }

    public async Task RunAsync(int jobs)
    {
        var done = _completion.Arm(jobs);
        await EnqueueAsync(jobs);
        await done;
        await DrainedAsync();
    }

    /// <summary>Starts <paramref name="jobs"/> counting no-op jobs, split between the callers (one per host with a bulk size).</summary>
    public Task EnqueueAsync(int jobs)
    {
        if (_callers <= 1)
        {
            return EnqueueShareAsync(_hosts[0].Runner, jobs);
        }

        var tasks = new Task[_callers];
        for (var c = 0; c < _callers; c++)
        {
            var share = (jobs / _callers) + (c < jobs % _callers ? 1 : 0);
            var runner = _hosts[c % _hosts.Length].Runner;
            tasks[c] = Task.Run(() => EnqueueShareAsync(runner, share));
        }

        return Task.WhenAll(tasks);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _hosts.Length - 1; i >= 0; i--)
        {
            await _hosts[i].DisposeAsync();
        }

        // The hosts' stores owned their data sources, so their connections are closed by now; once their backends have
        // exited, the jobs table's update counts are complete.
        JobsTableUpdates = await PgServerStats.ReadTableUpdatesAsync(_adminConnectionString, ApplicationName, Schema, "jobs");
        await PostgresBench.DropSchemaAsync(_adminConnectionString, Schema);
    }

    private async Task EnqueueShareAsync(IJobRunner runner, int jobs)
    {
        if (_bulkBatch is { } size)
        {
            var batch = Enumerable.Repeat(NoOpParameters.Instance, size).ToArray();
            for (var done = 0; done < jobs; done += size)
            {
                await runner.StartManyAsync(nameof(CountingJob), jobs - done >= size ? batch : batch[..(jobs - done)]);
            }

            return;
        }

        for (var i = 0; i < jobs; i++)
        {
            await runner.StartAsync(nameof(CountingJob), NoOpParameters.Instance);
        }
    }

    /// <summary>Returns once no host has a claimed job left in a worker: the last ones have stored their Completed status.</summary>
    private async Task DrainedAsync()
    {
        var spin = default(SpinWait);
        while (_hosts.Any(h => h.Scheduler.Busy != 0))
        {
            if (spin.NextSpinWillYield)
            {
                await Task.Yield();
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private sealed class Host(ServiceProvider services) : IAsyncDisposable
    {
        private IHostedService[] _hosted = [];

        public IJobRunner Runner { get; } = services.GetRequiredService<IJobRunner>();

        public JobScheduler Scheduler { get; } = services.GetRequiredService<JobScheduler>();

        public async Task StartAsync()
        {
            _hosted = [.. services.GetServices<IHostedService>()];
            foreach (var service in _hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }
        }

        public async ValueTask DisposeAsync()
        {
            for (var i = _hosted.Length - 1; i >= 0; i--)
            {
                await _hosted[i].StopAsync(CancellationToken.None);
            }

            await services.DisposeAsync();
        }
    }
}
