using System.Net;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>The server the PostgreSQL tests run against, and the schema each test gets.</summary>
[Trait("Category", "PostgreSql")]
public sealed class PostgresServerTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Server_AnswersSelect1()
    {
        await using var connection = new NpgsqlConnection(PostgresServer.Require());
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand("SELECT 1", connection);

        (await command.ExecuteScalarAsync(Token)).Should().Be(1);
    }

    [Fact]
    public async Task Server_IsBoundToLoopback()
    {
        await using var connection = new NpgsqlConnection(PostgresServer.Require());
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand("SELECT inet_server_addr()", connection);
        await using var reader = await command.ExecuteReaderAsync(Token);
        (await reader.ReadAsync(Token)).Should().BeTrue();

        reader.IsDBNull(0).Should().BeFalse("the tests connect over TCP, not a Unix socket");
        reader.GetFieldValue<IPAddress>(0).Should().BeOneOf([IPAddress.Loopback, IPAddress.IPv6Loopback],
            "the test server listens on the loopback address only");
    }

    [Fact]
    public async Task NewSchema_IsEmptyAndFirstOnTheSearchPath_AndDisposeDropsItWithItsTables()
    {
        var schema = await PostgresServer.NewSchemaAsync(Token);
        try
        {
            schema.Name.Should().MatchRegex("^jt_test_[0-9a-f]{32}$");
            (await SchemaExistsAsync(schema.Name)).Should().BeTrue();

            await using (var connection = new NpgsqlConnection(schema.ConnectionString))
            {
                await connection.OpenAsync(Token);
                (await ScalarAsync<long>(connection, "SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace"))
                    .Should().Be(0, "a new schema is empty");
                (await ScalarAsync<string>(connection, "SELECT current_schema()")).Should().Be(schema.Name);

                await ExecuteAsync(connection, "CREATE TABLE probe (id int PRIMARY KEY); INSERT INTO probe VALUES (1)");
                (await ScalarAsync<string>(connection, "SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = 'probe'::regclass"))
                    .Should().Be(schema.Name, "unqualified names are created in the test's schema");
            }
        }
        finally
        {
            await schema.DisposeAsync();
        }

        (await SchemaExistsAsync(schema.Name)).Should().BeFalse("disposing drops the schema with its tables");
        await schema.DisposeAsync(); // a second dispose does nothing
    }

    [Fact]
    public async Task NewSchema_DisposeDropsTheSchema_EvenWithAConnectionLeftInATransaction()
    {
        var schema = await PostgresServer.NewSchemaAsync(Token);
        await using var left = new NpgsqlConnection(schema.ConnectionString);
        await left.OpenAsync(Token);
        await ExecuteAsync(left, "CREATE TABLE probe (id int)");
        await using var transaction = await left.BeginTransactionAsync(Token);
        await ExecuteAsync(left, "LOCK TABLE probe IN ACCESS EXCLUSIVE MODE");

        await schema.DisposeAsync();

        (await SchemaExistsAsync(schema.Name)).Should().BeFalse();
    }

    [Fact]
    public async Task NewSchema_GivesEachTestASchemaOfItsOwn()
    {
        await using var first = await PostgresServer.NewSchemaAsync(Token);
        await using var second = await PostgresServer.NewSchemaAsync(Token);

        first.Name.Should().NotBe(second.Name);
        first.ConnectionString.Should().NotBe(second.ConnectionString);
    }

    private static async Task<bool> SchemaExistsAsync(string name)
    {
        await using var connection = new NpgsqlConnection(PostgresServer.Require());
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @name)", connection);
        command.Parameters.AddWithValue("name", name);
        return (bool)(await command.ExecuteScalarAsync(Token))!;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Token))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Token);
    }
}
