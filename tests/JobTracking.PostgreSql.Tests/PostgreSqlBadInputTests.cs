using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.PostgreSql.Tests;

/// <summary>The PostgreSQL store against <see cref="StoreBadInputTests"/>.</summary>
public sealed class PostgreSqlBadInputTests : StoreBadInputTests
{
    private TestSchema? _schema;

    protected override async ValueTask PrepareStoreAsync() => _schema ??= await PostgresServer.NewSchemaAsync();

    protected override void UseStore(JobTrackingBuilder builder) =>
        builder.UsePostgreSql(_schema!.ConnectionString, o => o.Schema = _schema.Name);

    protected override async ValueTask DisposeStoreAsync()
    {
        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }
}
