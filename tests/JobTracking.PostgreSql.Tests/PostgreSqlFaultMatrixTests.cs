namespace JobTracking.PostgreSql.Tests;

/// <summary>The fault matrix on PostgreSQL (through the fault-injecting decorator; the real server's faults are in ServerRestartTests, PostgreSqlHostTests and MultiProcessTests): every row ends with each acknowledged job finished once and none lost.</summary>
public sealed class PostgreSqlFaultMatrixTests(ITestOutputHelper output)
{
    public static TheoryData<string> Scenarios => new(FaultScenarios.All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Fault_EveryAcknowledgedJobFinishesExactlyOnce_NoneLost(string scenario)
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync();
        await using var store = await PostgreSqlJobStores.OpenAsync(schema.ConnectionString, new PostgreSqlJobStoreOptions { Schema = schema.Name }, null, CancellationToken.None);
        var row = FaultScenarios.Named(scenario);
        var result = await FaultMatrix.RunAsync(store, row, row.Jobs(400));

        output.WriteLine(result.ToString());
        result.ShouldKeepEveryPromise(row, row.Jobs(400));
    }
}
