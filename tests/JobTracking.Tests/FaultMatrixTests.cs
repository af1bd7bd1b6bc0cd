namespace JobTracking.Tests;

/// <summary>The fault matrix on the in-memory store (through the fault-injecting decorator): every row ends with each acknowledged job finished once and none lost.</summary>
public sealed class FaultMatrixTests(ITestOutputHelper output)
{
    public static TheoryData<string> Scenarios => new(FaultScenarios.All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Fault_EveryAcknowledgedJobFinishesExactlyOnce_NoneLost(string scenario)
    {
        var row = FaultScenarios.Named(scenario);
        var result = await FaultMatrix.RunAsync(TestHost.CreateMemoryStore(), row, row.Jobs(2_000));

        output.WriteLine(result.ToString());
        result.ShouldKeepEveryPromise(row, row.Jobs(2_000));
    }
}
