using Npgsql;
using Quartz;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// Quartz.NET 4.7.3 with its ADO.NET job store (AdoJobStore) on PostgreSQL through Npgsql, set up as Quartz's job-store
/// documentation shows: <c>UsePersistentStore(s =&gt; s.UsePostgres(connectionString))</c> (the "Npgsql" provider and
/// Quartz's PostgreSQL driver delegate), clustering on (<c>UseClustering()</c>, which also turns on the database row
/// locks in <c>QRTZ_LOCKS</c> and gives the scheduler a generated instance id), the System.Text.Json serializer (the 4.x
/// default), and its tables in a schema of its own: the table prefix <c>"&lt;schema&gt;.qrtz_"</c>, created beforehand
/// from <c>QuartzPostgreSqlSchema.sql</c> (Quartz 4.7.3's PostgreSQL tables), which the store checks when it starts,
/// and dropped when the system is disposed. The thread pool and the jobs are those of <see cref="QuartzSystem"/>: 10
/// threads, one-off jobs (a job detail and a trigger that starts now); <c>MaxBatchSize</c> stays automatic.
/// </summary>
public sealed class QuartzPostgreSqlSystem : IPostgresSystem
{
    private static readonly Lazy<string[]> SchemaScript = new(ReadSchema);

    private readonly string _adminConnectionString;
    private readonly string _connectionString;
    private readonly int _maxConcurrency;
    private readonly int _callers;
    private StandaloneSchedulerFactory? _factory;
    private IScheduler? _scheduler;

    public QuartzPostgreSqlSystem(int callers = 64, int maxConcurrency = PostgresBench.Workers, string? connectionString = null)
    {
        _adminConnectionString = connectionString ?? PostgresBench.Require();
        _callers = callers;
        _maxConcurrency = maxConcurrency;
        Schema = PostgresBench.NewSchema("quartz_bench");
        ApplicationName = "jobtracking-bench-" + Schema;
        _connectionString = PostgresBench.WithApplicationName(_adminConnectionString, ApplicationName);
    }

    public string Schema { get; }

    public string ApplicationName { get; }

    public async Task StartAsync()
    {
        await CreateSchemaAsync(_connectionString, Schema);
        _factory = QuartzSchedulerBuilder
            .Create(q => q
                .ConfigureScheduler(o => o.InstanceName = "Benchmark-" + Schema)
                .UseDefaultThreadPool(_maxConcurrency)
                .UsePersistentStore(s =>
                {
                    s.UsePostgres(_connectionString);
                    s.ConfigureStore(o => o.TablePrefix = Schema + ".qrtz_");
                    s.UseClustering(_ => { });
                }))
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

        using (var connection = new NpgsqlConnection(_connectionString))
        {
            NpgsqlConnection.ClearPool(connection);
        }

        await PostgresBench.DropSchemaAsync(_adminConnectionString, Schema);
    }

    /// <summary>Creates the schema and Quartz's tables in it, in one transaction, as a person would run the tables script before the first start.</summary>
    public static async Task CreateSchemaAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var statement in SchemaScript.Value)
        {
            await using var command = new NpgsqlCommand(statement.Replace("{schema}", schema, StringComparison.Ordinal), connection, transaction);
            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    private static string[] ReadSchema()
    {
        using var stream = typeof(QuartzPostgreSqlSystem).Assembly.GetManifestResourceStream("JobTracking.Benchmarks.QuartzPostgreSqlSchema.sql")
            ?? throw new InvalidOperationException("The Quartz PostgreSQL schema script is not embedded in the benchmark assembly.");
        using var reader = new StreamReader(stream);
        var lines = reader.ReadToEnd().Split('\n').Where(l => !l.StartsWith("--", StringComparison.Ordinal));
        return string.Join('\n', lines)
            .Split("\n;;\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
