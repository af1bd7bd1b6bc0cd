using Hangfire;
using Hangfire.InMemory;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// Hangfire.Core with Hangfire.InMemory, set up as Hangfire's documentation shows for a console application: the
/// recommended serializer settings and compatibility level, a <see cref="BackgroundJobServer"/> with 10 workers
/// (the documented default, min(5 x processors, 20), is 10 on a 2-core machine), default storage options.
/// The storage is passed explicitly instead of through <c>JobStorage.Current</c>, so each system is its own.
/// </summary>
public sealed class HangfireSystem : IJobSystem
{
    private static readonly Lock ConfigureOnce = new();
    private static bool s_configured;

    private readonly InMemoryStorage _storage;
    private readonly BackgroundJobClient _client;
    private BackgroundJobServer? _server;

    public HangfireSystem(int workerCount = 10)
    {
        ConfigureGlobally();
        WorkerCount = workerCount;
        _storage = new InMemoryStorage(new InMemoryStorageOptions());
        _client = new BackgroundJobClient(_storage);
    }

    public int WorkerCount { get; }

    /// <summary>Hangfire's recommended global settings (getting-started guide), applied once per process.</summary>
    public static void ConfigureGlobally()
    {
        lock (ConfigureOnce)
        {
            if (!s_configured)
            {
                GlobalConfiguration.Configuration
                    .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                    .UseSimpleAssemblyNameTypeSerializer()
                    .UseRecommendedSerializerSettings();
                s_configured = true;
            }
        }
    }

    public Task StartAsync()
    {
        _server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = WorkerCount }, _storage);
        return Task.CompletedTask;
    }

    public async Task RunAsync(int jobs)
    {
        var done = Completion.Shared.Arm(jobs);
        for (var i = 0; i < jobs; i++)
        {
            _client.Enqueue(() => HangfireJobs.NoOp());
        }

        await done;
    }

    public ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            _server.SendStop();
            _server.Dispose();
        }

        _storage.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Hangfire's jobs are method calls; a static one needs no activator.</summary>
public static class HangfireJobs
{
    public static void NoOp() => Completion.Shared.Signal();
}
