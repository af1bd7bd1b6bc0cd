using Microsoft.Data.Sqlite;
using Quartz;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// Quartz.NET 4.7.3 with its ADO.NET job store (AdoJobStore) on a SQLite file through Microsoft.Data.Sqlite, set up
/// as Quartz's job-store documentation shows: <c>UsePersistentStore(s => s.UseSqlite(connectionString))</c> (the
/// "SQLite-Microsoft" provider, the SQLite driver delegate and Quartz's SQLite lock handler, which serializes the
/// store's transactions in the process), the System.Text.Json serializer (the 4.x default), no clustering, and the
/// schema created beforehand from Quartz's SQLite tables script (<c>QuartzSqliteSchema.sql</c>), which the store
/// checks when it starts. Quartz sets no PRAGMA, so the file keeps SQLite's defaults: a rollback journal
/// (<c>journal_mode = DELETE</c>) and <c>synchronous = FULL</c>, every commit flushed. The thread pool and the jobs
/// are those of <see cref="QuartzSystem"/>: 10 threads, one-off jobs (a job detail and a trigger that starts now).
/// </summary>
public sealed class QuartzSqliteSystem : IJobSystem
{
    private static readonly Lazy<string[]> Schema = new(ReadSchema);

    private readonly int _maxConcurrency;
    private readonly int _callers;
    private readonly TempDatabase _database = new("quartz-" + Guid.NewGuid().ToString("N"));
    private StandaloneSchedulerFactory? _factory;
    private IScheduler? _scheduler;

    public QuartzSqliteSystem(int callers = 1, int maxConcurrency = 10)
    {
        _callers = callers;
        _maxConcurrency = maxConcurrency;
    }

    /// <summary>Gets the connection string of the system's file (Microsoft.Data.Sqlite's defaults otherwise).</summary>
    public string ConnectionString => _database.ConnectionString;

    public async Task StartAsync()
    {
        CreateSchema(ConnectionString);
        _factory = QuartzSchedulerBuilder
            .Create(q => q
                .ConfigureScheduler(o => o.InstanceName = "Benchmark-" + Guid.NewGuid().ToString("N"))
                .UseDefaultThreadPool(_maxConcurrency)
                .UsePersistentStore(s => s.UseSqlite(ConnectionString)))
            .Build();
        _scheduler = await _factory.GetScheduler();
        await _scheduler.Start();
    }

    public async Task RunAsync(int jobs)
    {
        var scheduler = _scheduler ?? throw new InvalidOperationException("Start the system first.");
        var done = Completion.Shared.Arm(jobs);
        await Callers.RunAsync(jobs, _callers, async share =>
        {
            for (var i = 0; i < share; i++)
            {
                var job = JobBuilder.Create<QuartzNoOpJob>().Build();
                var trigger = TriggerBuilder.Create().StartNow().Build();
                await scheduler.ScheduleJob(job, trigger);
            }
        });
        await done;
    }

    public async ValueTask DisposeAsync()
    {
        if (_scheduler is not null)
        {
            await _scheduler.Shutdown(waitForJobsToComplete: true);
        }

        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        // Pooled connections keep the file open; close them so it can be deleted.
        SqliteConnection.ClearAllPools();
        _database.Dispose();
    }

    /// <summary>Creates Quartz's tables in the file, as a person would run the tables script before the first start.</summary>
    public static void CreateSchema(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var transaction = connection.BeginTransaction();
        foreach (var statement in Schema.Value)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = statement;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static string[] ReadSchema()
    {
        using var stream = typeof(QuartzSqliteSystem).Assembly.GetManifestResourceStream("JobTracking.Benchmarks.QuartzSqliteSchema.sql")
            ?? throw new InvalidOperationException("The Quartz schema script is not embedded in the benchmark assembly.");
        using var reader = new StreamReader(stream);
        var lines = reader.ReadToEnd().Split('\n').Where(l => !l.StartsWith("--", StringComparison.Ordinal));
        return string.Join('\n', lines)
            .Split("\n;;\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
