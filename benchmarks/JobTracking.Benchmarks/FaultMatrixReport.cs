using System.Globalization;
using JobTracking.Benchmarks.Systems;
using JobTracking.PostgreSql;
using JobTracking.Sqlite;
using JobTracking.TestSupport;

namespace JobTracking.Benchmarks;

/// <summary>
/// The fault matrix (the rows of <see cref="FaultScenarios"/>) on each store, on the system clock with the host's default
/// retry settings, printed as one Markdown table: jobs finished exactly once, lost, duplicated, and the time to recover.
/// </summary>
/// <remarks>The same runner as the test projects' fault-matrix tests, with more jobs; the tests assert, this reports.</remarks>
public static class FaultMatrixReport
{
    /// <summary>Runs every row on every store available (PostgreSQL when JOBTRACKING_POSTGRES is set).</summary>
    /// <param name="jobs">The base number of jobs per row on the in-memory store; the durable stores run a fifth of it.</param>
    public static async Task RunAsync(int jobs)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Fault matrix, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores; 16 callers in a closed loop, 16 workers, StepJob of 3 steps with a checkpoint at each, default retry settings."));
        if (!PostgresBench.Available)
        {
            Console.WriteLine($"PostgreSQL left out: {PostgresBench.MissingMessage}");
        }

        Console.WriteLine();
        Console.WriteLine("| store | fault | jobs | completed exactly once | other outcome | lost | duplicated | jobs missing log lines | faults injected | jobs/s | unfinished when the fault ended | first finish after it | backlog drained after it |");
        Console.WriteLine("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in FaultScenarios.All)
        {
            var result = await FaultMatrix.RunAsync(new InMemoryJobStore(), row, row.Jobs(jobs));
            Print("in memory", result);
        }

        foreach (var row in FaultScenarios.All)
        {
            var folder = Path.Combine(Path.GetTempPath(), "jobtracking-faults-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                await using var store = SqliteJobStores.Open($"Data Source={Path.Combine(folder, "jobs.db")}");
                Print("SQLite", await FaultMatrix.RunAsync(store, row, row.Jobs(jobs / 5)));
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        if (PostgresBench.ConnectionString is { } connectionString)
        {
            foreach (var row in FaultScenarios.All)
            {
                var schema = PostgresBench.NewSchema("faults");
                try
                {
                    await using var store = await PostgreSqlJobStores.OpenAsync(connectionString, new PostgreSqlJobStoreOptions { Schema = schema }, null, CancellationToken.None);
                    Print("PostgreSQL", await FaultMatrix.RunAsync(store, row, row.Jobs(jobs / 5)));
                }
                finally
                {
                    await PostgresBench.DropSchemaAsync(connectionString, schema);
                }
            }
        }
    }

    private static void Print(string store, FaultRunResult r) =>
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {store} | {r.Scenario} | {r.Acknowledged:N0} | {r.CompletedExactlyOnce:N0} | {r.OtherOutcomes ?? "—"} | {r.Lost} | {r.Duplicated} | {r.MissingLogLines:N0} | {r.FaultsInjected:N0} | {r.Acknowledged / r.Duration.TotalSeconds:N0} | {(r.FirstFinishAfterFault is null && r.BacklogDrainedAfterFault is null ? "—" : r.HeldUpByFault.ToString(CultureInfo.InvariantCulture))} | {Ms(r.FirstFinishAfterFault)} | {Ms(r.BacklogDrainedAfterFault)} |"));

    private static string Ms(TimeSpan? span) => span is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s.TotalMilliseconds:N0} ms") : "—";
}
