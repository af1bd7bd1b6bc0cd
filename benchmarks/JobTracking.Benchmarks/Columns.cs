using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace JobTracking.Benchmarks;

/// <summary>A column that divides a benchmark's median time (or allocations) by the number of jobs one invocation handles, given by a parameter.</summary>
public sealed class PerJobColumn(string parameterName, PerJobColumn.Kind kind) : IColumn
{
    public enum Kind
    {
        TimePerJob,
        JobsPerSecond,
        TimeVsSmallest,
        AllocatedPerJob,
    }

    public string Id => $"{nameof(PerJobColumn)}.{kind}";

    public string ColumnName => kind switch
    {
        Kind.TimePerJob => "Time/job",
        Kind.JobsPerSecond => "Jobs/s",
        Kind.TimeVsSmallest => "Time/job vs smallest",
        _ => "Alloc/job",
    };

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => (int)kind;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => kind switch
    {
        Kind.TimePerJob => "Median time of one invocation divided by the jobs it handled",
        Kind.JobsPerSecond => "Jobs handled per second (from the median)",
        Kind.TimeVsSmallest => "Time per job divided by the time per job at the smallest parameter value",
        _ => "Bytes allocated by one invocation (all threads) divided by the jobs it handled",
    };

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (PerJobNanoseconds(summary, benchmarkCase) is not { } perJob)
        {
            return "NA";
        }

        switch (kind)
        {
            case Kind.TimePerJob:
                return perJob >= 1000
                    ? (perJob / 1000).ToString("N2", CultureInfo.InvariantCulture) + " μs"
                    : perJob.ToString("N1", CultureInfo.InvariantCulture) + " ns";
            case Kind.JobsPerSecond:
                return (1e9 / perJob).ToString("N0", CultureInfo.InvariantCulture);
            case Kind.TimeVsSmallest:
                var smallest = summary.BenchmarksCases
                    .Where(c => c.Descriptor == benchmarkCase.Descriptor && c.Job == benchmarkCase.Job)
                    .OrderBy(JobsOf)
                    .FirstOrDefault();
                return smallest is not null && PerJobNanoseconds(summary, smallest) is { } baseline
                    ? (perJob / baseline).ToString("N2", CultureInfo.InvariantCulture) + "x"
                    : "NA";
            default:
                var report = summary[benchmarkCase];
                var bytes = report?.GcStats.GetBytesAllocatedPerOperation(benchmarkCase);
                return bytes is { } b ? (b / (double)JobsOf(benchmarkCase)).ToString("N0", CultureInfo.InvariantCulture) + " B" : "NA";
        }
    }

    public override string ToString() => ColumnName;

    private int JobsOf(BenchmarkCase benchmarkCase) => Convert.ToInt32(benchmarkCase.Parameters[parameterName], CultureInfo.InvariantCulture);

    private double? PerJobNanoseconds(Summary summary, BenchmarkCase benchmarkCase)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        return statistics is null ? null : statistics.Median / JobsOf(benchmarkCase);
    }
}
