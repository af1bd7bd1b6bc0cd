// Uses the packed JobTracking and JobTracking.Sqlite packages the way an application does: registers a job, runs it
// to completion with the SQLite store in the file given as the first argument, prints the outcome, and exits with 1
// unless the job completed with everything it reported. .ci/run builds it in a temporary folder against the packages.
using JobTracking;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var database = args[0];
var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddJobTracking(jobs => jobs.AddJob<CountJob>().UseSqlite($"Data Source={database}"));

using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
var host = builder.Build();
await host.StartAsync(timeout.Token);
var runner = host.Services.GetRequiredService<IJobRunner>();
var id = await runner.StartAsync(nameof(CountJob), new CountParameters(5), cancellationToken: timeout.Token);
var job = await runner.WaitForCompletionAsync(id, timeout.Token);
await host.StopAsync(timeout.Token);
host.Dispose(); // closes the file, so that the next host may open it

// Read back from the file by a second host, as after a restart.
var again = Host.CreateApplicationBuilder();
again.Logging.SetMinimumLevel(LogLevel.Warning);
again.Services.AddJobTracking(jobs => jobs.AddJob<CountJob>().UseSqlite($"Data Source={database}"));
using var second = again.Build();
await second.StartAsync(timeout.Token);
var stored = await second.Services.GetRequiredService<IJobTracker>().GetAsync(id, timeout.Token);
await second.StopAsync(timeout.Token);

Console.WriteLine($"package smoke: job {job.Status} with progress {job.Progress.Done}/{job.Progress.Total}, "
    + $"checkpoint {job.Checkpoint}; read back from {database}: {stored?.Status}");
return job is { Status: JobStatus.Completed, Checkpoint: "5" } && stored?.Status == JobStatus.Completed ? 0 : 1;

internal sealed record CountParameters(int Count);

internal sealed class CountJob : JobDefinition<CountParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<CountParameters> context)
    {
        for (var i = context.GetCheckpoint<int>(); i < context.Parameters.Count; i++)
        {
            context.SetCheckpoint(i + 1);
            context.ReportProgress(i + 1, context.Parameters.Count);
            await context.SafePointAsync();
        }
    }
}
