using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL server the tests run against, named by the <c>JOBTRACKING_POSTGRES</c> environment variable (an
/// Npgsql connection string). CI starts a throwaway cluster for them (<c>.ci/postgres.sh</c>); without the variable a
/// test that needs the server is skipped with the reason, except under CI (<c>CI=true</c>), where it fails, so that a
/// CI machine cannot quietly stop running the PostgreSQL tests.
/// </summary>
public static class PostgresServer
{
    public const string EnvironmentVariable = "JOBTRACKING_POSTGRES";

    public const string NotSetReason =
        "JOBTRACKING_POSTGRES is not set: these tests need a PostgreSQL server; " +
        "`eval \"$(bash .ci/postgres.sh start)\"` starts a throwaway one.";

    /// <summary>The connection string of <c>JOBTRACKING_POSTGRES</c>, or null when it is not set.</summary>
    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    /// <summary>
    /// The connection string, for a test that needs the server: without it the test is skipped with the reason, or
    /// fails under CI.
    /// </summary>
    public static string Require()
    {
        var connectionString = ConnectionString;
        Requires.That(connectionString is not null, NotSetReason);
        return connectionString!;
    }

    /// <summary>
    /// A new empty schema of its own for one test (<c>jt_test_</c> and 32 hex digits), dropped with everything in it
    /// when the returned <see cref="TestSchema"/> is disposed. Requires the server (see <see cref="Require"/>).
    /// </summary>
    public static async Task<TestSchema> NewSchemaAsync(CancellationToken cancellationToken = default)
    {
        var serverConnectionString = Require();
        var name = "jt_test_" + Guid.NewGuid().ToString("N");

        await using (var connection = new NpgsqlConnection(serverConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE SCHEMA \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new TestSchema(name, serverConnectionString);
    }
}

/// <summary>
/// One test's schema on the server. <see cref="ConnectionString"/> connects with the schema first on the search path
/// (then <c>public</c>, where extensions such as pg_stat_statements live), so unqualified names are created and found in
/// it, and its connections carry the schema's name as their application name. Disposing closes the idle pooled
/// connections of that connection string, ends any connection still open with it, and drops the schema with
/// everything in it.
/// </summary>
public sealed class TestSchema : IAsyncDisposable
{
    private readonly string _serverConnectionString;
    private int _disposed;

    internal TestSchema(string name, string serverConnectionString)
    {
        Name = name;
        _serverConnectionString = serverConnectionString;
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnectionString)
        {
            SearchPath = $"{name},public",
            ApplicationName = name,
        }.ConnectionString;
    }

    /// <summary>The schema's name: <c>jt_test_</c> and 32 lowercase hex digits, a valid unquoted identifier.</summary>
    public string Name { get; }

    /// <summary>The server's connection string with the schema first on the search path.</summary>
    public string ConnectionString { get; }

    /// <summary>The application name of <see cref="ConnectionStringFor"/>(<paramref name="part"/>)'s connections.</summary>
    public string ApplicationNameOf(string part) => $"{Name}/{part}";

    /// <summary>The schema's connection string whose connections carry <see cref="ApplicationNameOf"/>(<paramref name="part"/>), so that the server can tell, say, one process's connections from the others'.</summary>
    public string ConnectionStringFor(string part) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { ApplicationName = ApplicationNameOf(part) }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await using (var pooled = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        // Pooled connections to the server itself may be dead (a test restarted the server): a fresh one drops the schema.
        await using (var pooled = new NpgsqlConnection(_serverConnectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();

        // A connection the test left open (or a pool outside Npgsql's own) would hold locks that DROP waits for.
        await using (var terminate = new NpgsqlCommand(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE (application_name = @name OR starts_with(application_name, @name || '/')) AND pid <> pg_backend_pid()",
            connection))
        {
            terminate.Parameters.AddWithValue("name", Name);
            await terminate.ExecuteNonQueryAsync();
        }

        // Fails rather than waits for ever if something else still holds a lock in the schema.
        await using var drop = new NpgsqlCommand($"SET lock_timeout = '30s'; DROP SCHEMA IF EXISTS \"{Name}\" CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }

    public override string ToString() => Name;
}
