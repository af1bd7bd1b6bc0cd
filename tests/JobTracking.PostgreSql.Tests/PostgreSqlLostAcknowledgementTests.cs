namespace JobTracking.PostgreSql.Tests;

/// <summary>
/// Answers lost after the PostgreSQL store committed a write, through the decorator: see <see cref="LostAcknowledgementTests"/>.
/// The same on the wire, a connection dropped right after the server committed, is in the proxy tests.
/// </summary>
[Trait("Category", "PostgreSql")]
public sealed class PostgreSqlLostAcknowledgementTests : LostAcknowledgementTests
{
    private TestSchema? _schema;

    // The store judges leases by the database's clock.
    protected override bool UsesFakeClock => false;

    protected override async ValueTask<IJobStore> CreateStoreAsync(TimeProvider time)
    {
        _schema = await PostgresServer.NewSchemaAsync();
        return await PostgreSqlJobStores.OpenAsync(_schema.ConnectionString, new PostgreSqlJobStoreOptions { Schema = _schema.Name }, null, CancellationToken.None);
    }

    protected override async ValueTask DisposeStoreAsync()
    {
        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }
}
