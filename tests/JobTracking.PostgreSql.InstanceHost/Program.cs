// One instance of a JobTracking host on a PostgreSQL store, for the multi-process tests.
//
// Usage: JobTracking.PostgreSql.InstanceHost <connection-string> <schema> <instance>
//            [--max-concurrency N] [--lease-ms N] [--heartbeat-ms N]
//
// It creates the side tables (ItemsJob.cs), starts a host that runs ItemsJob jobs from the store in <schema> with the
// node name <instance>, a short lease (3 s, renewed every second, unless told otherwise) and a checkpoint saved at every
// safe point that has a new one, prints "ready", and runs until its standard input closes (or it is killed). It
// launches nothing itself: the test queues the jobs. Warnings and errors are logged to standard error.
using System.Globalization;
using JobTracking.PostgreSql.InstanceHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: JobTracking.PostgreSql.InstanceHost <connection-string> <schema> <instance> [--max-concurrency N] [--lease-ms N] [--heartbeat-ms N]");
    return 2;
}

var connectionString = args[0];
var schema = args[1];
var instance = args[2];
var maxConcurrency = Option("--max-concurrency", 4);
var lease = TimeSpan.FromMilliseconds(Option("--lease-ms", 3000));
var heartbeat = TimeSpan.FromMilliseconds(Option("--heartbeat-ms", 1000));

await using var sideSource = NpgsqlDataSource.Create(connectionString);
await SideTables.EnsureCreatedAsync(sideSource, schema, CancellationToken.None);

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton(new SideTables(sideSource, schema, instance));
builder.Services.AddJobTracking(jobs => jobs
    .AddJob<ItemsJob>()
    .UsePostgreSql(connectionString, o => o.Schema = schema)
    .Configure(o =>
    {
        o.NodeName = instance;
        o.MaxConcurrency = maxConcurrency;
        o.LeaseDuration = lease;
        o.HeartbeatInterval = heartbeat;
        o.CheckpointInterval = TimeSpan.Zero; // every safe point with a new checkpoint saves it
        o.ShutdownGracePeriod = TimeSpan.FromSeconds(2);
    }));

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine("ready");

// The test stops an instance by closing its standard input; an instance whose test process died stops the same way.
var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
var stdin = new Thread(() =>
{
    while (Console.In.ReadLine() is not null)
    {
    }

    lifetime.StopApplication();
})
{ IsBackground = true };
stdin.Start();

await host.WaitForShutdownAsync();
return 0;

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
