using JobTracking.PostgreSql;
using JobTracking.Testing;

namespace JobTracking.PostgreSql.Tests;

/// <summary>The PostgreSQL store against the whole store contract, two-instance tests included: a schema of its own per test, leases judged by the kit's clock.</summary>
public sealed class PostgreSqlJobStoreConformanceTests : JobStoreConformanceTests, IAsyncDisposable
{
    private TestSchema? _schema;

    protected override async ValueTask<IJobStore> CreateStoreAsync(TimeProvider clock)
    {
        PostgresServer.Require();
        _schema = await PostgresServer.NewSchemaAsync();
        return await OpenAsync(_schema, clock);
    }

    protected override async ValueTask<IJobStore?> CreateSecondInstanceAsync(IJobStore first, TimeProvider clock) =>
        await OpenAsync(_schema ?? throw new InvalidOperationException("No first store."), clock);

    public async ValueTask DisposeAsync()
    {
        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }

    internal static Task<PostgreSqlJobStore> OpenAsync(TestSchema schema, TimeProvider? leaseClock, PostgreSqlJobStoreOptions? options = null) =>
        PostgreSqlJobStores.OpenAsync(
            PostgreSqlJobStores.CreateDataSource(schema.ConnectionString, null), ownsDataSource: true,
            options ?? new PostgreSqlJobStoreOptions { Schema = schema.Name }, null, null, leaseClock, CancellationToken.None);
}
