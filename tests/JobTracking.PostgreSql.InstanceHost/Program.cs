// One instance of a JobTracking host on a PostgreSQL store, for the multi-process tests.
//
// Usage: JobTracking.PostgreSql.InstanceHost <connection-string> <schema> <instance>
//            [--max-concurrency N] [--lease-ms N] [--heartbeat-ms N]
//            [--schedule ID [--schedule-poll-ms N]]
//            [--keyed-starts N]
//
// It creates the side tables (ItemsJob.cs), starts a host that runs ItemsJob jobs from the store in <schema> with the
// node name <instance>, a short lease (3 s, renewed every second, unless told otherwise) and a checkpoint saved at every
// safe point that has a new one, prints "ready", and runs until its standard input closes (or it is killed). Warnings
// and errors are logged to standard error. By default it launches nothing itself: the test queues the jobs.
//
// --schedule ID declares, with AddSchedule, the schedule ID: an ItemsJob of one item every second ("* * * * * *", UTC),
// Overlap = Queue so that every occurrence starts its job, and logs the occurrences this instance records (standard
// error, Information); --schedule-poll-ms sets SchedulePollInterval (15 s).
//
// --keyed-starts N: for each line "go <unix-ms> <key>" that arrives on standard input, it waits until that time, starts N
// ItemsJob jobs at once through IJobRunner, all with the idempotency key <key>, and prints, once all have returned, a line
// "started <key> <id> <count>" for each id they returned, "burst <key> <first-start-unix-ms> <last-return-unix-ms>",
// then "done <key>". The keys are the test's: no spaces.
//
// --transaction-starts: for each line "tx <number>" that arrives on standard input, it opens a connection, begins a
// transaction, inserts the order <number> into <schema>.orders (the test creates it), starts an ItemsJob in that
// transaction (IJobRunner.InTransaction), prints "in-transaction <number> <job id>", and never commits: the test kills it.
using System.Globalization;
using JobTracking;
using JobTracking.PostgreSql;
using JobTracking.PostgreSql.InstanceHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: JobTracking.PostgreSql.InstanceHost <connection-string> <schema> <instance> [--max-concurrency N] [--lease-ms N] [--heartbeat-ms N] " +
        "[--schedule ID [--schedule-poll-ms N]] [--keyed-starts N]");
    return 2;
}

var connectionString = args[0];
var schema = args[1];
var instance = args[2];
var maxConcurrency = Option("--max-concurrency", 4);
var lease = TimeSpan.FromMilliseconds(Option("--lease-ms", 3000));
var heartbeat = TimeSpan.FromMilliseconds(Option("--heartbeat-ms", 1000));
var scheduleId = TextOption("--schedule");
var schedulePoll = TimeSpan.FromMilliseconds(Option("--schedule-poll-ms", 15_000));
var keyedStarts = Option("--keyed-starts", 0);
var transactionStarts = args.Contains("--transaction-starts");

await using var sideSource = NpgsqlDataSource.Create(connectionString);
await SideTables.EnsureCreatedAsync(sideSource, schema, CancellationToken.None);

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
if (scheduleId is not null)
{
    builder.Logging.AddFilter("JobTracking.Schedules.ScheduleLoop", LogLevel.Information); // which instance recorded each occurrence
}
builder.Services.AddSingleton(new SideTables(sideSource, schema, instance));
builder.Services.AddJobTracking(jobs =>
{
    jobs.AddJob<ItemsJob>()
        .UsePostgreSql(connectionString, o => o.Schema = schema)
        .Configure(o =>
        {
            o.NodeName = instance;
            o.MaxConcurrency = maxConcurrency;
            o.LeaseDuration = lease;
            o.HeartbeatInterval = heartbeat;
            o.CheckpointInterval = TimeSpan.Zero; // every safe point with a new checkpoint saves it
            o.ShutdownGracePeriod = TimeSpan.FromSeconds(2);
            o.SchedulePollInterval = schedulePoll;
        });
    if (scheduleId is not null)
    {
        jobs.AddSchedule<ItemsJob>(scheduleId, new ItemsParameters { Items = 1, MillisecondsPerItem = 0 }, "* * * * * *", new JobScheduleOptions { Overlap = JobScheduleOverlap.Queue });
    }
});

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine("ready");

// The test stops an instance by closing its standard input; an instance whose test process died stops the same way.
var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
var runner = host.Services.GetRequiredService<IJobRunner>();
var bursts = new List<Task>();
var stdin = new Thread(() =>
{
    while (Console.In.ReadLine() is { } line)
    {
        if (keyedStarts > 0 && line.Split(' ') is ["go", var time, var key])
        {
            var at = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(time, CultureInfo.InvariantCulture));
            lock (bursts)
            {
                bursts.Add(Task.Run(() => StartKeyedAsync(at, key)));
            }
        }
        else if (transactionStarts && line.Split(' ') is ["tx", var number])
        {
            lock (bursts)
            {
                bursts.Add(Task.Run(() => StartInTransactionAsync(int.Parse(number, CultureInfo.InvariantCulture))));
            }
        }
    }

    lifetime.StopApplication();
})
{ IsBackground = true };
stdin.Start();

await host.WaitForShutdownAsync();
Task[] started;
lock (bursts)
{
    started = [.. bursts];
}

await Task.WhenAll(started);
return 0;

async Task StartKeyedAsync(DateTimeOffset at, string key)
{
    try
    {
        if (at - DateTimeOffset.UtcNow is { Ticks: > 0 } wait)
        {
            await Task.Delay(wait);
        }

        var parameters = new ItemsParameters { Items = 1, MillisecondsPerItem = 0 };
        var options = new JobStartOptions { IdempotencyKey = key };
        var first = DateTimeOffset.UtcNow;
        var starts = new Task<Guid>[keyedStarts];
        for (var i = 0; i < starts.Length; i++)
        {
            starts[i] = runner.Job<ItemsJob>().StartAsync(parameters, options).AsTask();
        }

        var ids = await Task.WhenAll(starts);
        var last = DateTimeOffset.UtcNow;
        foreach (var group in ids.GroupBy(id => id))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"started {key} {group.Key} {group.Count()}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"burst {key} {first.ToUnixTimeMilliseconds()} {last.ToUnixTimeMilliseconds()}"));
    }
    catch (Exception ex)
    {
        Console.Error.WriteLine($"The keyed starts with {key} failed: {ex}");
    }

    Console.WriteLine($"done {key}");
}

async Task StartInTransactionAsync(int number)
{
    try
    {
        var connection = await sideSource.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand($"INSERT INTO {schema}.orders (number) VALUES ($1)", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = number });
            await insert.ExecuteNonQueryAsync();
        }

        var id = await runner.InTransaction(transaction).Job<ItemsJob>().StartAsync(new ItemsParameters { Items = 1, MillisecondsPerItem = 0 });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"in-transaction {number} {id}"));
        await Task.Delay(Timeout.Infinite); // the transaction stays open until the process is killed
    }
    catch (Exception ex)
    {
        Console.Error.WriteLine($"The start in a transaction failed: {ex}");
    }
}

int Option(string name, int fallback) => TextOption(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? TextOption(string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}
