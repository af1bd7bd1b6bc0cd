using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace JobTracking.Sqlite.Tests;

/// <summary>A real Generic Host on a SQLite file: what a host stored is there for the next host on the same file.</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteHostTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly StepLog _steps = new();

    [Fact]
    public async Task Jobs_SurviveAHostRestart_WithReportLogAndRejects()
    {
        Guid done, paused, draft;
        using (var first = BuildHost())
        {
            await first.StartAsync();
            var runner = first.Services.GetRequiredService<IJobRunner>();
            done = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 3, RejectAt = 1 }, new JobStartOptions { DisplayName = "Import « produits » ✓", LaunchedBy = "émilie" });
            await runner.WaitForCompletionAsync(done);
            paused = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 40, MillisecondsPerStep = 20 }, new JobStartOptions { DisplayName = "Held" });
            await WaitForProgressAsync(first, paused, 3);
            await runner.PauseAsync(paused);
            await runner.WaitForStatusAsync(paused, JobStatus.Paused);
            draft = await runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1 }, new JobStartOptions { DisplayName = "Draft" });
            await first.StopAsync();
        }

        using var second = BuildHost();
        await second.StartAsync();
        var tracker = second.Services.GetRequiredService<IJobTracker>();

        var report = await tracker.GetAsync(done);
        report.Status.Should().Be(JobStatus.Completed);
        report.DisplayName.Should().Be("Import « produits » ✓");
        report.LaunchedBy.Should().Be("émilie");
        report.Progress.Should().Be(new JobProgress(3, 3));
        report.Steps.Select(s => (s.Name, s.Status)).Should().Equal(("work", JobStepStatus.Completed));
        report.WarningCount.Should().BeGreaterThan(0);
        (await tracker.GetLogAsync(done)).Items.Select(l => l.Message).Should().Contain(["step 0 done", "step 1 done", "step 2 done"]);
        (await tracker.GetRejectsAsync(done)).Items.Should().ContainSingle().Which.RawRecord.Should().Be("row 1;\"bad\"\r\n");
        (await tracker.GetAsync(draft)).Status.Should().Be(JobStatus.Editing);
        (await tracker.LastOperationsAsync(10)).Select(j => j.Id).Should().Equal(draft, paused, done);

        var held = await tracker.GetAsync(paused);
        held.Status.Should().Be(JobStatus.Paused);
        var checkpoint = int.Parse(held.Checkpoint!, System.Globalization.CultureInfo.InvariantCulture);
        var runner2 = second.Services.GetRequiredService<IJobRunner>();
        await runner2.ResumeAsync(paused);
        (await runner2.WaitForCompletionAsync(paused)).Status.Should().Be(JobStatus.Completed);
        _steps.Of(paused).Should().Equal(Enumerable.Range(0, 40), $"the job resumed from its checkpoint {checkpoint} in the new host and ran each step once");
        await second.StopAsync();
    }

    [Fact]
    public async Task RestartedHost_ResumesInterruptedJob_FromItsCheckpoint()
    {
        Guid id;
        int checkpoint;
        using (var first = BuildHost(o => o.ShutdownGracePeriod = TimeSpan.FromSeconds(5)))
        {
            await first.StartAsync();
            var runner = first.Services.GetRequiredService<IJobRunner>();
            id = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 60, MillisecondsPerStep = 15 });
            await WaitForProgressAsync(first, id, 5);
            await first.StopAsync();

            var stored = await first.Services.GetRequiredService<IJobTracker>().GetAsync(id);
            stored.Status.Should().Be(JobStatus.Interrupted, "a host stopping mid-job stores it Interrupted");
            checkpoint = int.Parse(stored.Checkpoint!, System.Globalization.CultureInfo.InvariantCulture);
            checkpoint.Should().BeInRange(5, 59);
        }

        using var second = BuildHost();
        await second.StartAsync();
        var job = await second.Services.GetRequiredService<IJobRunner>().WaitForCompletionAsync(id);

        job.Status.Should().Be(JobStatus.Completed);
        job.Attempt.Should().Be(1);
        _steps.Of(id).Should().Equal(Enumerable.Range(0, 60), $"steps before the checkpoint ({checkpoint}) ran in the first host only, the rest in the second");
        _steps.Hosts(id).Should().Equal(Enumerable.Repeat(1, checkpoint).Concat(Enumerable.Repeat(2, 60 - checkpoint)));
        await second.StopAsync();
    }

    [Fact]
    public async Task ManyJobs_EndToEnd_AllCompleteAndAreListed()
    {
        const int Count = 1000;
        using var host = BuildHost(o => o.MaxConcurrency = 8);
        await host.StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var started = TimeProvider.System.GetTimestamp();

        var ids = new List<Guid>(Count);
        for (var i = 0; i < Count; i++)
        {
            ids.Add(await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 }));
        }

        foreach (var id in ids)
        {
            await runner.WaitForCompletionAsync(id);
        }

        var elapsed = TimeProvider.System.GetElapsedTime(started);
        output.WriteLine($"{Count} jobs started, run and completed on SQLite (synchronous FULL) in {elapsed.TotalSeconds:0.00} s: {Count / elapsed.TotalSeconds:0} jobs/s.");
        var page = await host.Services.GetRequiredService<IJobTracker>().ListAsync(new JobQuery { Statuses = [JobStatus.Completed], PageSize = JobQuery.MaxPageSize });
        page.Items.Should().HaveCount(Count);
        await host.StopAsync();
    }

    public void Dispose() => _database.Dispose();

    private IHost BuildHost(Action<JobTrackingOptions>? configure = null)
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
                        o.NodeName = "durable-node";
                        o.MaxConcurrency = 2;
                        o.CheckpointInterval = TimeSpan.Zero;
                        o.ProgressInterval = TimeSpan.FromMilliseconds(10);
                        configure?.Invoke(o);
                    }));
            })
            .Build();
    }

    private static Task WaitForProgressAsync(IHost host, Guid id, long done)
    {
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        return Wait.UntilAsync(async () => (await tracker.GetAsync(id)).Progress.Done >= done, $"job {id} to store progress {done}");
    }
}
