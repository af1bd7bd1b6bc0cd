using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Tests;

/// <summary>A generic host with JobTracking and the test jobs, on a fake clock.</summary>
public sealed class TestHost : IAsyncDisposable
{
    private bool _started;

    private TestHost(IHost host, FakeTimeProvider time)
    {
        Host = host;
        Time = time;
    }

    public IHost Host { get; }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => Host.Services;

    public IJobRunner Runner => Services.GetRequiredService<IJobRunner>();

    public IJobTracker Tracker => Services.GetRequiredService<IJobTracker>();

    public IJobEvents Events => Services.GetRequiredService<IJobEvents>();

    public IJobStore Store => Services.GetRequiredService<IJobStore>();

    public Probe Probe => Services.GetRequiredService<Probe>();

    public static TestHost Create(Action<JobTrackingOptions>? options = null, IJobStore? store = null, Probe? probe = null, FakeTimeProvider? time = null, Action<JobTrackingBuilder>? configure = null, Action<IServiceCollection>? after = null)
    {
        time ??= new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var host = new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton(probe ?? new Probe());
                services.AddSingleton<TimeProvider>(time);
                services.AddJobTracking(builder =>
                {
                    builder.AddJob<StepJob>().AddJob<OtherJob>();
                    builder.Configure(o =>
                    {
                        o.MaxConcurrency = 4;
                        o.NodeName = "test-node";
                        o.CheckpointInterval = TimeSpan.Zero;
                        options?.Invoke(o);
                    });
                    if (store is not null)
                    {
                        builder.Services.AddSingleton(store);
                        builder.Services.AddSingleton((IJobJournalStore)store);
                        builder.Services.AddSingleton((IJobQueryStore)store);
                    }

                    configure?.Invoke(builder);
                });
                after?.Invoke(services);
            })
            .Build();
        return new TestHost(host, time);
    }

    internal static InMemoryJobStore CreateMemoryStore(int capacity = 1_000_000, TimeProvider? time = null) =>
        new(time, capacity);

    public async Task<TestHost> StartAsync()
    {
        await Host.StartAsync();
        _started = true;
        return this;
    }

    public async Task StopAsync()
    {
        if (_started)
        {
            _started = false;
            await Host.StopAsync();
        }
    }

    public async Task<JobRecord> WaitAsync(Guid jobId, params JobStatus[] statuses)
    {
        using var timeout = new CancellationTokenSource(Wait.DefaultTimeout);
        try
        {
            return await Runner.WaitForStatusAsync(jobId, statuses, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            var job = await Store.GetAsync(jobId);
            throw new TimeoutException(
                $"Waited {Wait.DefaultTimeout.TotalSeconds:0} s for job {jobId} to be {string.Join(" or ", statuses)}, in vain; it is {job?.Status.ToString() ?? "gone"}.");
        }
    }

    public async ValueTask<Guid> StartStepJobAsync(StepParameters parameters, JobStartOptions? options = null) =>
        await Runner.StartAsync(nameof(StepJob), parameters, options);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Host.Dispose();
    }
}
