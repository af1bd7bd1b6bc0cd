using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobTracking.Sqlite.Tests;

/// <summary>Bulk start on a SQLite file: a batch is stored whole, survives a restart, and is one Created event per job.</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteStartManyTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly StepLog _steps = new();

    [Fact]
    public async Task StartManyAsync_BatchSurvivesAHostRestart_AndEveryJobRunsOnce()
    {
        const int Count = 500;
        IReadOnlyList<Guid> ids;
        using (var first = BuildHost())
        {
            await first.StartAsync();
            var items = Enumerable.Range(0, Count).Select(_ => new StepParameters { Steps = 1, MillisecondsPerStep = 0 }).ToList();
            ids = await first.Services.GetRequiredService<IJobRunner>().Job<StepJob>().StartManyAsync(items, new JobStartOptions { LaunchedBy = "importer" });
            await first.StopAsync(); // most of the batch is still queued: the file holds it
        }

        using var second = BuildHost();
        await second.StartAsync();
        var tracker = second.Services.GetRequiredService<IJobTracker>();
        await Wait.UntilAsync(
            async () => (await tracker.CountAsync()).Where(c => c.Status == JobStatus.Completed).Sum(c => c.Count) == Count,
            "every job of the batch Completed after the restart");

        (await tracker.CountAsync()).Sum(c => c.Count).Should().Be(Count);
        foreach (var id in ids)
        {
            (await tracker.GetAsync(id)).LaunchedBy.Should().Be("importer");
            _steps.Of(id).Should().Equal([0], "job {0} ran its one step once, in one host or the other", id);
        }

        await second.StopAsync();
    }

    [Fact]
    public async Task StartManyAsync_FeedHoldsOneCreatedEventPerJobInOrder()
    {
        const int Count = 1_000;
        using var host = BuildHost();
        await host.StartAsync();
        var created = new ConcurrentQueue<Guid>();
        using var subscription = host.Services.GetRequiredService<IJobEvents>().Subscribe(e =>
        {
            if (e.Kind == JobEventKind.Created)
            {
                created.Enqueue(e.JobId);
            }
        }, new JobSubscriptionOptions { AfterSequence = 0 });

        var ids = await host.Services.GetRequiredService<IJobRunner>().Job<StepJob>()
            .StartManyAsync(Enumerable.Range(0, Count).Select(_ => new StepParameters { Steps = 1, MillisecondsPerStep = 0 }).ToList());
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        await Wait.UntilAsync(
            async () => (await tracker.CountAsync()).Where(c => c.Status == JobStatus.Completed).Sum(c => c.Count) == Count,
            "every job of the batch Completed");

        // Every job finished after its creation was recorded, so the subscriber has read every Created change by now or soon.
        await Wait.UntilAsync(() => created.Count >= Count, "a Created event for every job");
        created.Should().Equal(ids, "one Created event per job, in the order of the batch");
        await host.StopAsync();
    }

    [Fact]
    public async Task StartManyAsync_OneBadItem_StoresNothingInTheFile()
    {
        using var host = BuildHost();
        await host.StartAsync();
        var items = Enumerable.Range(0, 1_000).Select(i => new StepParameters { Steps = i == 999 ? 0 : 1 }).ToList();

        var error = (await host.Services.GetRequiredService<IJobRunner>().Invoking(r => r.Job<StepJob>().StartManyAsync(items).AsTask())
            .Should().ThrowAsync<JobParametersException>()).Which;

        error.Message.Should().Contain("item 999: Steps:");
        (await host.Services.GetRequiredService<IJobTracker>().CountAsync()).Should().BeEmpty();
        await host.StopAsync();
    }

    public void Dispose() => _database.Dispose();

    private IHost BuildHost()
    {
        _steps.NextHost();
        return new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton(_steps);
                services.AddJobTracking(b => b
                    .AddJob<StepJob>()
                    .UseSqlite(_database.ConnectionString)
                    .Configure(o =>
                    {
                        o.NodeName = "bulk-node";
                        o.MaxConcurrency = 2;
                    }));
            })
            .Build();
    }
}
