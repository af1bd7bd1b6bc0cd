namespace JobTracking.PostgreSql.Tests;

/// <summary>
/// Answers lost after the PostgreSQL store committed a write: through the decorator (see <see cref="LostAcknowledgementTests"/>),
/// and on the wire, the connection dropped right after the server committed (<see cref="CommitDroppingProxy"/>).
/// </summary>
[Trait("Category", "PostgreSql")]
public sealed class PostgreSqlLostAcknowledgementTests : LostAcknowledgementTests
{
    private TestSchema? _schema;
    private CommitDroppingProxy? _proxy;

    [Fact]
    public async Task ConnectionDroppedRightAfterTheServerCommitted_CallersAreToldTheTruth_AndEachJobIsStoredAndRunOnce()
    {
        await StartHostAsync();
        _proxy!.DropEvery = 10;

        await StartAndCommandJobsAsync();

        _proxy.Dropped.Should().BeGreaterThan(0, "one write batch of a caller in ten lost its acknowledgement ({0} write batches in all)", _proxy.WriteBatches);
    }

    // The store judges leases by the database's clock.
    protected override bool UsesFakeClock => false;

    protected override async ValueTask<IJobStore> CreateStoreAsync(TimeProvider time)
    {
        _schema = await PostgresServer.NewSchemaAsync();

        // Only the writes a caller of IJobRunner waits for: a claim, a reclaim or a lease renewal whose answer is lost is
        // the business of the instance's run and lease code, which these tests do not cover.
        _proxy = CommitDroppingProxy.Start(_schema.ConnectionString);
        _proxy.Drops = statements => !statements.Any(s => s.Contains("SKIP LOCKED", StringComparison.Ordinal) || s.Contains("AS c(id, claim_id)", StringComparison.Ordinal));
        return await PostgreSqlJobStores.OpenAsync(_proxy.ConnectionString, new PostgreSqlJobStoreOptions { Schema = _schema.Name }, null, CancellationToken.None);
    }

    protected override async ValueTask DisposeStoreAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }
}
