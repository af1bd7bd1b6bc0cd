using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>Rows of a PostgreSQL schema edited by hand with psql: see <see cref="CorruptRowTests"/>.</summary>
public sealed class PostgreSqlCorruptRowTests : CorruptRowTests
{
    private TestSchema? _schema;

    protected override async ValueTask PrepareStoreAsync() => _schema ??= await PostgresServer.NewSchemaAsync();

    protected override void UseStore(JobTrackingBuilder builder) =>
        builder.UsePostgreSql(_schema!.ConnectionString, o => o.Schema = _schema.Name);

    protected override async Task EditAsync(Guid jobId, string assignments)
    {
        await using var connection = new NpgsqlConnection(_schema!.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"UPDATE \"{_schema.Name}\".jobs SET {assignments} WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        (await command.ExecuteNonQueryAsync()).Should().Be(1);
    }

    protected override async Task EditFeedAsync(Guid jobId, string assignments)
    {
        await using var connection = new NpgsqlConnection(_schema!.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"UPDATE \"{_schema.Name}\".job_feed SET {assignments} WHERE job_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        (await command.ExecuteNonQueryAsync()).Should().BeGreaterThan(0);
    }

    protected override string AttemptJson(string status) =>
        "{\"number\": 1, \"started\": \"2026-11-24T09:00:00+00:00\", \"ended\": \"2026-11-24T09:00:01+00:00\", \"status\": " + status +
        ", \"errorType\": null, \"errorMessage\": null, \"errorStack\": null}";

    protected override async ValueTask DisposeStoreAsync()
    {
        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }
}
