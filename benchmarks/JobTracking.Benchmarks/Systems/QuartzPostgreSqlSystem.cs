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
public sealed class QuartzPostgreSqlSystem : QuartzSystemBase, IPostgresSystem
{
    private static readonly Lazy<string[]> SchemaScript = new(() => ReadScript("JobTracking.Benchmarks.QuartzPostgreSqlSchema.sql"));

    private readonly string _adminConnectionString;
    private readonly string _connectionString;

    public QuartzPostgreSqlSystem(int callers = 64, int maxConcurrency = PostgresBench.Workers, string? connectionString = null)
        : base(maxConcurrency, callers)
    {
        _adminConnectionString = connectionString ?? PostgresBench.Require();
        Schema = PostgresBench.NewSchema("quartz_bench");
        ApplicationName = "jobtracking-bench-" + Schema;
        _connectionString = PostgresBench.WithApplicationName(_adminConnectionString, ApplicationName);
    }

    public string Schema { get; }

    public string ApplicationName { get; }

    protected override string InstanceName => "Benchmark-" + Schema;

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

    protected override void UseStore(IQuartzBuilder quartz) =>
        quartz.UsePersistentStore(s =>
        {
            s.UsePostgres(_connectionString);
            s.ConfigureStore(o => o.TablePrefix = Schema + ".qrtz_");
            s.UseClustering(_ => { });
        });

    protected override Task PrepareAsync() => CreateSchemaAsync(_connectionString, Schema);

    protected override async ValueTask CleanUpAsync()
    {
        using (var connection = new NpgsqlConnection(_connectionString))
        {
            NpgsqlConnection.ClearPool(connection);
        }

        await PostgresBench.DropSchemaAsync(_adminConnectionString, Schema);
    }
}
