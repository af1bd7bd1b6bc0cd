using System.Collections.Concurrent;
using CsCheck;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobTracking.TestSupport;

/// <summary>
/// A property of the change feed, checked over random command sequences: several threads pause, resume, cancel and
/// restart a few running jobs at once; afterwards each job's events form a legal path of the lifecycle table, their
/// versions rise by one with no gap, a finished job has exactly one finished event, and the last event equals the stored job.
/// </summary>
public static class FeedProperty
{
    private const int Jobs = 5;
    private const int Threads = 3;

    /// <summary>Registers the job the property runs.</summary>
    public static void AddJob(JobTrackingBuilder builder) => builder.AddJob<FeedPropertyJob>();

    /// <summary>Checks the property on hosts made by <paramref name="createHost"/> (each registers <see cref="AddJob"/>), one per sample.</summary>
    public static Task CheckAsync(Func<IHost> createHost, long samples)
    {
        var thread = Gen.Select(Gen.Int[0, Jobs - 1], Gen.Int[0, 3]).Array[5, 30];
        return Gen.Select(thread, thread, thread).SampleAsync(
            (a, b, c) => RunAsync(createHost, [a, b, c]),
            iter: samples,
            threads: 1);
    }

    private static async Task RunAsync(Func<IHost> createHost, (int Job, int Command)[][] threads)
    {
        using var host = createHost();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var events = new ConcurrentQueue<JobEvent>();
        using (host.Services.GetRequiredService<IJobEvents>().Subscribe(events.Enqueue))
        {
            await host.StartAsync();
            try
            {
                var ids = new Guid[Jobs];
                for (var i = 0; i < Jobs; i++)
                {
                    ids[i] = await runner.StartAsync(nameof(FeedPropertyJob), new FeedPropertyParameters { Steps = 200 });
                }

                var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var workers = threads.Select(ops => Task.Run(async () =>
                {
                    await go.Task;
                    foreach (var (job, command) in ops)
                    {
                        try
                        {
                            await (command switch
                            {
                                0 => runner.PauseAsync(ids[job]),
                                1 => runner.ResumeAsync(ids[job]),
                                2 => runner.CancelAsync(ids[job]),
                                _ => runner.RestartAsync(ids[job]),
                            });
                        }
                        catch (InvalidJobTransitionException)
                        {
                            // The command does not apply to the status the job has now: part of the property.
                        }
                    }
                })).ToList();
                go.SetResult(); // every thread is released at once
                await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                foreach (var id in ids)
                {
                    var stored = await runner.WaitForStatusAsync(id, [JobStatus.Completed, JobStatus.Cancelled, JobStatus.Paused, JobStatus.Failed, JobStatus.Interrupted], timeout.Token);
                    await Wait.UntilAsync(() => events.Any(e => e.JobId == id && e.Kind == JobEventKind.StatusChanged && e.Version == stored.Version), $"the event of job {id} version {stored.Version}");
                    CheckPath(id, [.. events.Where(e => e.JobId == id)], stored);
                }
            }
            finally
            {
                await host.StopAsync();
            }
        }
    }

    private static void CheckPath(Guid id, List<JobEvent> path, JobRecord stored)
    {
        path.Should().NotBeEmpty();
        path.Select(e => e.Sequence).Should().BeInAscendingOrder("job {0}'s events come in feed order", id);
        var moves = path.Where(e => e.Kind != JobEventKind.Progress).ToList();
        moves[0].Kind.Should().Be(JobEventKind.Created);
        moves[0].Version.Should().Be(1);
        for (var i = 1; i < moves.Count; i++)
        {
            var (before, after) = (moves[i - 1], moves[i]);
            after.Version.Should().Be(before.Version + 1, "job {0}'s versions rise by one with no gap", id);
            after.PreviousStatus.Should().Be(before.Status, "job {0}'s events start where the last one ended", id);
            JobLifecycle.CanTransition(after.PreviousStatus, after.Status).Should().BeTrue("{0} -> {1} is in the lifecycle table (job {2})", after.PreviousStatus, after.Status, id);
        }

        moves.Count(e => e.IsFinished).Should().Be(JobLifecycle.IsFinished(stored.Status) ? 1 : 0, "a finished job has exactly one finished event");
        var last = path[^1];
        (last.Status, last.Version, last.Progress, last.WarningCount).Should().Be((stored.Status, stored.Version, stored.Progress, stored.WarningCount), "the last event of job {0} equals the stored job", id);
    }
}

public sealed record FeedPropertyParameters
{
    public int Steps { get; init; }
}

/// <summary>Works through its steps with a safe point after each, so commands land anywhere in it.</summary>
public sealed class FeedPropertyJob : JobDefinition<FeedPropertyParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<FeedPropertyParameters> context)
    {
        var from = context.GetCheckpoint<int>();
        for (var step = from; step < context.Parameters.Steps; step++)
        {
            await Task.Yield();
            context.ReportProgress(step + 1, context.Parameters.Steps);
            context.SetCheckpoint(step + 1);
            await context.SafePointAsync();
        }
    }
}
