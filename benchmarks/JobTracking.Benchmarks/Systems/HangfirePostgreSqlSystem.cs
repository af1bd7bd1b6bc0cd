using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Npgsql;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// Hangfire.Core 1.8.25 with Hangfire.PostgreSql 1.21.1, set up as that package's README shows (a
/// <see cref="PostgreSqlStorage"/> over an Npgsql connection string, <c>UseNpgsqlConnection</c>, after Hangfire's
/// recommended global settings), in a schema of its own (<see cref="PostgreSqlStorageOptions.SchemaName"/>, a fresh one
/// per system, which the storage creates at start with its default <c>PrepareSchemaIfNecessary = true</c> and the
/// benchmark drops afterwards). Default options but one, as for <see cref="HangfireSqliteSystem"/>:
/// <see cref="PostgreSqlStorageOptions.QueuePollInterval"/> is 100 ms instead of 15 s, because an idle worker looks at
/// the queue again only after that interval and a fresh server would otherwise sleep into each measured batch. 10
/// workers, the storage passed explicitly, static no-op jobs: as <see cref="HangfireSystem"/>. Its connections come
/// from Npgsql's pool for the connection string (application name included), cleared when the system is disposed.
/// </summary>
public sealed class HangfirePostgreSqlSystem : IPostgresSystem
{
    private readonly string _adminConnectionString;
    private readonly string _connectionString;
    private readonly int _callers;
    private PostgreSqlStorage? _storage;
    private BackgroundJobClient? _client;
    private BackgroundJobServer? _server;

    public HangfirePostgreSqlSystem(int callers = 64, int workerCount = PostgresBench.Workers, string? connectionString = null)
    {
        HangfireSystem.ConfigureGlobally();
        _adminConnectionString = connectionString ?? PostgresBench.Require();
        _callers = callers;
        WorkerCount = workerCount;
        Schema = PostgresBench.NewSchema("hangfire_bench");
        ApplicationName = "jobtracking-bench-" + Schema;
        _connectionString = PostgresBench.WithApplicationName(_adminConnectionString, ApplicationName);
    }

    public int WorkerCount { get; }

    public string Schema { get; }

    public string ApplicationName { get; }

    public Task StartAsync()
    {
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = Schema,
            QueuePollInterval = HangfireSqliteSystem.QueuePollInterval,
        };

        // Creates the schema and its tables (PrepareSchemaIfNecessary).
        _storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(_connectionString, options), options);
        _client = new BackgroundJobClient(_storage);
        _server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = WorkerCount }, _storage);
        return Task.CompletedTask;
    }

    public async Task RunAsync(int jobs)
    {
        var client = _client ?? throw new InvalidOperationException("Start the system first.");
        var done = Completion.Shared.Arm(jobs);
        await Callers.RunBlocking(jobs, _callers, share =>
        {
            for (var i = 0; i < share; i++)
            {
                client.Enqueue(() => HangfireJobs.NoOp());
            }
        });
        await done;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            _server.SendStop();
            _server.Dispose();
        }

        using (var connection = new NpgsqlConnection(_connectionString))
        {
            NpgsqlConnection.ClearPool(connection);
        }

        await PostgresBench.DropSchemaAsync(_adminConnectionString, Schema);
    }
}
