using JobTracking;
using JobTracking.Sample;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Error);
builder.Services.AddJobTracking(jobs => jobs
    .AddJob<BatchJob>()
    .AddJob<ProductImportJob>()
    .Configure(options =>
    {
        options.MaxConcurrency = 4;
        options.ShutdownGracePeriod = TimeSpan.FromSeconds(5);
    }));

using var host = builder.Build();
var runner = host.Services.GetRequiredService<IJobRunner>();
var events = host.Services.GetRequiredService<IJobEvents>();
var tracker = host.Services.GetRequiredService<IJobTracker>();

// Every status change as it happens, plus the two notifications users see: the flash and the end-of-job message.
using var changes = events.Subscribe(e => Console.WriteLine(
    $"{e.At:HH:mm:ss.fff}  {e.DisplayName,-16} {e.PreviousStatus,-12} -> {e.Status}{(e.Error is null ? "" : $"  ({e.Error.Message})")}"),
    new JobSubscriptionOptions { IncludeProgress = false });
using var flash = events.OnJobStarted(e => Console.WriteLine($"           >> flash: '{e.DisplayName}' started"));
using var notification = events.OnJobFinished(e => Console.WriteLine($"           >> notification: '{e.DisplayName}' finished as {e.Status}"));

await host.StartAsync();

var completes = await runner.StartAsync(nameof(BatchJob), new BatchParameters { Items = 8 }, new() { DisplayName = "Nightly export", LaunchedBy = "scheduler" });
var paused = await runner.StartAsync(nameof(BatchJob), new BatchParameters { Items = 12 }, new() { DisplayName = "Catalog import", LaunchedBy = "alice" });
var cancelled = await runner.StartAsync(nameof(BatchJob), new BatchParameters { Items = 50 }, new() { DisplayName = "Price update", LaunchedBy = "bob" });
var fails = await runner.StartAsync(nameof(BatchJob), new BatchParameters { Items = 10, FailAtItem = 4 }, new() { DisplayName = "Broken feed", LaunchedBy = "alice" });
var import = await runner.StartAsync(nameof(ProductImportJob), new ProductImportParameters
{
    InputFile = Path.Combine(AppContext.BaseDirectory, "data", "products.csv"),
    OutputFile = Path.Combine("sample-output", "products-imported.csv"),
}, new() { DisplayName = "Products CSV", LaunchedBy = "alice" });

// Pause the import once it has done some work, then resume it: it continues from its checkpoint.
await WaitForProgressAsync(paused, 4);
await runner.PauseAsync(paused);
var atPause = await runner.WaitForStatusAsync(paused, JobStatus.Paused);
Console.WriteLine($"           Catalog import paused at checkpoint {atPause.Checkpoint} ({atPause.Progress.Percent:0}%)");
await WaitForProgressAsync(cancelled, 3);
await runner.CancelAsync(cancelled);
await runner.ResumeAsync(paused);

foreach (var id in new[] { completes, paused, cancelled, fails, import })
{
    await runner.WaitForCompletionAsync(id);
}

Console.WriteLine();
Console.WriteLine("Process tracker (newest first):");
Console.WriteLine($"  {"Job",-16} {"Status",-10} {"Launched by",-12} {"Progress",8}  Attempt");
foreach (var job in await tracker.LastOperationsAsync(10))
{
    Console.WriteLine($"  {job.DisplayName,-16} {job.Status,-10} {job.LaunchedBy,-12} {job.Progress.Percent,7:0}%  {job.Attempt}");
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

await host.StopAsync();

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
        await reached.Task;
    }
}
