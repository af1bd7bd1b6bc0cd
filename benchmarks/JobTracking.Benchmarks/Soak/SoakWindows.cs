namespace JobTracking.Benchmarks.Soak;

/// <summary>The samples after warm-up, and the early and late windows among them.</summary>
public sealed record SoakWindows(IReadOnlyList<SoakSample> AfterWarmup, IReadOnlyList<SoakSample> Early, IReadOnlyList<SoakSample> Late);
