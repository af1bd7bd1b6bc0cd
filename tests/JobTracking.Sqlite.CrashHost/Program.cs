// The crash tests' child process. Usage: JobTracking.Sqlite.CrashHost <database> <side-folder> <jobs> [--hold | --flood <callers>]
//
// It runs <jobs> jobs of ten steps against the SQLite file. Each step counts one read in the step "work" and appends
// "<job> <step>" to executed.txt before it sets its checkpoint; each job that reaches Completed is appended to completed.txt (after the store has it), and every
// status change to events.txt, all flushed line by line so that a SIGKILL loses nothing the test reads. The jobs are
// created on the first run only (seeded.txt lists them); a run on a file that has them just resumes what is left.
// With --hold it opens the store, prints "ready" and waits to be killed (the second-process tests). With --flood it starts
// <jobs> one-step jobs from <callers> concurrent callers, each id appended to acknowledged.txt once its StartAsync has
// returned, so the store's commits hold many callers' creates beside the workers' claims and outcomes when it is killed.
// With --keys <keys> as well, each flood start carries one of that many idempotency keys, in turn, and acknowledged.txt
// gets "<id> <key>": the id the start returned, its own or the key holder's.
using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using JobTracking;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: JobTracking.Sqlite.CrashHost <database> <side-folder> <jobs> [--hold]");
    return 2;
}

var database = args[0];
var side = args[1];
var jobCount = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
var hold = args.Contains("--hold");
var floodCallers = Array.IndexOf(args, "--flood") is var f and >= 0 ? int.Parse(args[f + 1], System.Globalization.CultureInfo.InvariantCulture) : 0;
var floodKeys = Array.IndexOf(args, "--keys") is var k and >= 0 ? int.Parse(args[k + 1], System.Globalization.CultureInfo.InvariantCulture) : 0;
Directory.CreateDirectory(side);

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Services.AddSingleton(new SideFiles(side));
builder.Services.AddJobTracking(jobs => jobs
    .AddJob<CrashStepJob>()
    .UseSqlite($"Data Source={database}")
    .Configure(o =>
    {
        o.NodeName = "crash-host";          // the restarted host recovers what this node left Running
        o.MaxConcurrency = 4;
        o.CheckpointInterval = TimeSpan.Zero; // every safe point saves the checkpoint
        o.ProgressInterval = TimeSpan.FromMilliseconds(20);
        o.ShutdownGracePeriod = TimeSpan.FromSeconds(2);
    }));

using var host = builder.Build();
var files = host.Services.GetRequiredService<SideFiles>();
IJobSubscription changes;
try
{
    // Resolving the events opens the store (the feed is the store's): a file in use fails here or at start.
    changes = host.Services.GetRequiredService<IJobEvents>().Subscribe(
        e =>
        {
            files.Append("events.txt", $"{e.JobId:N} {e.PreviousStatus} {e.Status}");
            if (e.Status == JobStatus.Completed)
            {
                files.Append("completed.txt", $"{e.JobId:N}");
            }
        },
        new JobSubscriptionOptions { IncludeProgress = false, Overflow = JobEventOverflow.Wait, BufferCapacity = 100_000 });
    await host.StartAsync();
}
catch (JobTrackingException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 3;
}

using var subscription = changes;
if (hold)
{
    Console.WriteLine("ready");
    await Task.Delay(Timeout.Infinite);
}

var runner = host.Services.GetRequiredService<IJobRunner>();
var tracker = host.Services.GetRequiredService<IJobTracker>();
if (floodCallers > 0)
{
    var left = jobCount;
    await Task.WhenAll(Enumerable.Range(0, floodCallers).Select(_ => Task.Run(async () =>
    {
        int n;
        while ((n = Interlocked.Decrement(ref left)) >= 0)
        {
            var key = floodKeys > 0 ? $"key-{n % floodKeys}" : null;
            var id = await runner.StartAsync(nameof(CrashStepJob), new CrashStepParameters { Steps = 1, MillisecondsPerStep = 0 }, new JobStartOptions { IdempotencyKey = key });
            files.Append("acknowledged.txt", key is null ? $"{id:N}" : $"{id:N} {key}");
        }
    })));

    Console.WriteLine("done");
    await host.StopAsync();
    return 0;
}

var ids = new List<Guid>();
if ((await tracker.LastOperationsAsync(1)).Count == 0)
{
    for (var i = 0; i < jobCount; i++)
    {
        ids.Add(await runner.StartAsync(nameof(CrashStepJob), new CrashStepParameters { Steps = 10, MillisecondsPerStep = 15 + (i % 5 * 7) }, new JobStartOptions { DisplayName = $"crash job {i}" }));
    }

    files.Append("seeded.txt", string.Join(' ', ids.Select(id => id.ToString("N"))));
}
else
{
    string? token = null;
    do
    {
        var page = await tracker.ListAsync(new JobQuery { PageSize = JobQuery.MaxPageSize, PageToken = token });
        ids.AddRange(page.Items.Select(j => j.Id));
        token = page.NextPageToken;
    }
    while (token is not null);
}

foreach (var id in ids)
{
    await runner.WaitForCompletionAsync(id);
}

Console.WriteLine("done");
await host.StopAsync();
return 0;

/// <summary>Appends lines to files in the side folder, written through to the operating system one by one.</summary>
internal sealed class SideFiles(string folder)
{
    private readonly ConcurrentDictionary<string, object> _locks = new();

    public void Append(string file, string line)
    {
        lock (_locks.GetOrAdd(file, _ => new object()))
        {
            using var stream = new FileStream(Path.Combine(folder, file), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
            stream.Write(bytes);
            stream.Flush(); // to the operating system: enough to survive the process being killed
        }
    }
}

internal sealed record CrashStepParameters
{
    [Range(1, 1000)]
    public int Steps { get; init; } = 10;

    [Range(0, 10_000)]
    public int MillisecondsPerStep { get; init; } = 25;
}

/// <summary>
/// Ten steps; each is counted as read when it begins, recorded in executed.txt, logged, and then checkpointed at a safe
/// point. A progress save in the middle of a step already holds its count, so a run that resumes from the checkpoint
/// before it must count from the checkpoint's counters, not from the last ones saved.
/// </summary>
internal sealed class CrashStepJob(SideFiles files, TimeProvider time) : JobDefinition<CrashStepParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<CrashStepParameters> context)
    {
        var p = context.Parameters;
        var work = context.BeginStep("work");
        for (var step = context.GetCheckpoint<int>(); step < p.Steps; step++)
        {
            work.AddRead();
            await Task.Delay(TimeSpan.FromMilliseconds(p.MillisecondsPerStep), time, context.CancellationToken);
            files.Append("executed.txt", $"{context.JobId:N} {step}");
            context.Logger.LogInformation("step {Step} done", step);
            context.SetCheckpoint(step + 1);
            context.ReportProgress(step + 1, p.Steps);
            await context.SafePointAsync();
        }

        work.Complete();
    }
}
