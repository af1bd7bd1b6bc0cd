namespace JobTracking.Sqlite.Tests;

/// <summary>The fault matrix on a SQLite file (durable default): every row ends with each acknowledged job finished once and none lost.</summary>
public sealed class SqliteFaultMatrixTests(ITestOutputHelper output)
{
    public static TheoryData<string> Scenarios => new(FaultScenarios.All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Fault_EveryAcknowledgedJobFinishesExactlyOnce_NoneLost(string scenario)
    {
        using var database = new TempDatabase();
        await using var store = SqliteJobStores.Open(database.ConnectionString);
        var row = FaultScenarios.Named(scenario);
        var result = await FaultMatrix.RunAsync(store, row, row.Jobs(400));

        output.WriteLine(result.ToString());
        result.ShouldKeepEveryPromise(row, row.Jobs(400));
    }
}
