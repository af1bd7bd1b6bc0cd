using JobTracking;
using JobTracking.Sample;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Jobs are kept in jobs.db in the working folder, so a second run shows the first run's jobs, and a job stopped
// with Ctrl+C resumes from its checkpoint on the next run. --in-memory keeps them in memory instead.
var inMemory = args.Contains("--in-memory");
var database = Path.GetFullPath("jobs.db");
var builder = Host.CreateApplicationBuilder([.. args.Where(a => a != "--in-memory")]);
builder.Logging.SetMinimumLevel(LogLevel.Error);
builder.Services.AddJobTracking(jobs =>
{
    jobs.AddJob<BatchJob>()
        .AddJob<ProductImportJob>()
        .Configure(options =>
        {
            options.MaxConcurrency = 4;
            options.ShutdownGracePeriod = TimeSpan.FromSeconds(5);
            options.NodeName = "sample"; // the same node on every run, so a run recovers what a killed run left running
        });
    if (!inMemory)
    {
        jobs.UseSqlite($"Data Source={database}");
    }
});

using var host = builder.Build();
var runner = host.Services.GetRequiredService<IJobRunner>();
var events = host.Services.GetRequiredService<IJobEvents>();
var tracker = host.Services.GetRequiredService<IJobTracker>();
var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
Console.WriteLine(inMemory ? "Store: in memory (nothing is kept)" : $"Store: SQLite file {database} (run again to see these jobs; --in-memory to keep nothing)");

// Every creation and status change as it happens, plus the two notifications users see: the flash and the end-of-job message.
using var changes = events.Subscribe(e => Console.WriteLine(e.Kind == JobEventKind.Created
    ? $"{e.At:HH:mm:ss.fff}  {e.DisplayName,-16} created as {e.Status}"
    : $"{e.At:HH:mm:ss.fff}  {e.DisplayName,-16} {e.PreviousStatus,-12} -> {e.Status}{(e.Error is null ? "" : $"  ({e.Error.Message})")}"),
    new JobSubscriptionOptions { IncludeProgress = false });
using var flash = events.OnJobStarted(e => Console.WriteLine($"           >> flash: '{e.DisplayName}' started"));
using var notification = events.OnJobFinished(e => Console.WriteLine($"           >> notification: '{e.DisplayName}' finished as {e.Status}"));

await host.StartAsync();

// Jobs that an earlier run left interrupted (Ctrl+C, a crash) were queued again at start-up and resume from their checkpoint.
var resumed = (await tracker.ListAsync(new JobQuery { Statuses = [JobStatus.Queued, JobStatus.Running] })).Items;
foreach (var job in resumed)
{
    Console.WriteLine($"           resuming '{job.DisplayName}' from an earlier run at checkpoint {job.Checkpoint ?? "(none)"}");
}

try
{
    await RunSampleAsync();
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    Console.WriteLine("Stopping: running jobs are stored as Interrupted with their checkpoint; run the sample again to resume them.");
}

await host.StopAsync();

async Task RunSampleAsync()
{
    var completes = await runner.Job<BatchJob>().StartAsync(new BatchParameters { Items = 8 }, new() { DisplayName = "Nightly export", LaunchedBy = "scheduler" });
    var paused = await runner.Job<BatchJob>().StartAsync(new BatchParameters { Items = 12 }, new() { DisplayName = "Catalog import", LaunchedBy = "alice" });
    var cancelled = await runner.Job<BatchJob>().StartAsync(new BatchParameters { Items = 50 }, new() { DisplayName = "Price update", LaunchedBy = "bob" });
    var fails = await runner.Job<BatchJob>().StartAsync(new BatchParameters { Items = 10, FailAtItem = 4 }, new() { DisplayName = "Broken feed", LaunchedBy = "alice" });
    var import = await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters
    {
        InputFile = Path.Combine(AppContext.BaseDirectory, "data", "products.csv"),
        OutputFile = Path.Combine("sample-output", "products-imported.csv"),
    }, new() { DisplayName = "Products CSV", LaunchedBy = "alice" });

    // Pause the import once it has done some work, then resume it: it continues from its checkpoint.
    await WaitForProgressAsync(paused, 4);
    await runner.PauseAsync(paused);
    var atPause = await runner.WaitForStatusAsync(paused, JobStatus.Paused, stopping);
    Console.WriteLine($"           Catalog import paused at checkpoint {atPause.Checkpoint} ({atPause.Progress.Percent:0}%)");
    await WaitForProgressAsync(cancelled, 3);
    await runner.CancelAsync(cancelled);
    await runner.ResumeAsync(paused);

    foreach (var id in resumed.Select(j => j.Id).Concat([completes, paused, cancelled, fails, import]))
    {
        await runner.WaitForCompletionAsync(id, stopping);
    }

    Console.WriteLine();
    Console.WriteLine("Process tracker (newest first):");
    Console.WriteLine($"  {"Created",-8}  {"Job",-16} {"Status",-10} {"Launched by",-12} {"Progress",8}  Attempt");
    foreach (var job in await tracker.LastOperationsAsync(10))
    {
        Console.WriteLine($"  {job.CreatedAt.ToLocalTime():HH:mm:ss}  {job.DisplayName,-16} {job.Status,-10} {job.LaunchedBy,-12} {job.Progress.Percent,7:0}%  {job.Attempt}");
    }

    // The job page of the import: General, Log and Rejects tabs.
    var report = await tracker.GetAsync(import);
    Console.WriteLine();
    Console.WriteLine($"General: '{report.DisplayName}' {report.Status}{(report.HasWarnings ? $" with {report.WarningCount} warnings" : "")}, launched by {report.LaunchedBy}, {report.Progress.Done}/{report.Progress.Total} rows");
    foreach (var step in report.Steps)
    {
        Console.WriteLine($"  step {step.Name,-9} {step.Status,-9} read {step.Read,3}  written {step.Written,3}  skipped {step.Skipped,3}");
    }

    Console.WriteLine("Log (last lines):");
    foreach (var line in (await tracker.GetLogAsync(import)).Items.TakeLast(5))
    {
        Console.WriteLine($"  {line.At:HH:mm:ss.fff} {line.Level,-11} {line.Message}");
    }

    Console.WriteLine("Rejects:");
    foreach (var reject in (await tracker.GetRejectsAsync(import)).Items)
    {
        Console.WriteLine($"  row {reject.RecordNumber,2}: {reject.Reason,-45} {reject.RawRecord}");
    }

    Console.WriteLine($"Valid products written to {Path.GetFullPath(Path.Combine("sample-output", "products-imported.csv"))}");
}

async Task WaitForProgressAsync(Guid id, long done)
{
    var reached = new TaskCompletionSource();
    using var progress = events.Subscribe(e =>
    {
        if (e.Kind == JobEventKind.Progress && e.Progress.Done >= done)
        {
            reached.TrySetResult();
        }
    }, new JobSubscriptionOptions { JobId = id });
    var job = await tracker.GetAsync(id);
    if (job.Progress.Done < done)
    {
        await reached.Task.WaitAsync(stopping);
    }
}
