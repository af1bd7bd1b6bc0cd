using System.Globalization;

namespace JobTracking.Benchmarks;

/// <summary>Settings read from environment variables, so the benchmark processes BenchmarkDotNet starts see what the launcher chose.</summary>
public static class BenchmarkSettings
{
    /// <summary>Seconds of warm-up each end-to-end system gets before it is measured. Default 10, as the issue asks (the JIT needs that long to settle).</summary>
    public const string WarmupVariable = "JOBTRACKING_BENCH_WARMUP_SECONDS";

    /// <summary>Set to 1 by <c>--smoke</c>: small backlogs and batches, no warm-up.</summary>
    public const string SmokeVariable = "JOBTRACKING_BENCH_SMOKE";

    public static bool Smoke => Environment.GetEnvironmentVariable(SmokeVariable) == "1";

    public static TimeSpan Warmup => Smoke
        ? TimeSpan.Zero
        : TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable(WarmupVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds : 10);
}
