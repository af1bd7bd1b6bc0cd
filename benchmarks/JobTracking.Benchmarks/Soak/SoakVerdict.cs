using System.Globalization;

namespace JobTracking.Benchmarks.Soak;

/// <summary>
/// Whether one metric stayed flat after warm-up: the mean of the early window beside the mean of the late window, and
/// the slope of a least-squares line through every sample after warm-up, per million jobs finished.
/// </summary>
public sealed record SoakVerdict(SoakMetric Metric, double Early, double Late, double SlopePerMillionJobs)
{
    /// <summary>Gets the highest late mean that still counts as flat.</summary>
    public double Limit => (Early * (1 + SoakMetric.RelativeTolerance)) + Metric.Margin;

    /// <summary>Gets whether the late mean is above <see cref="Limit"/>.</summary>
    public bool Grew => Late > Limit;

    /// <summary>Gets whether this verdict fails the run: a checked metric that grew.</summary>
    public bool Fails => Grew && Metric.Checked;

    /// <summary>Gets the verdict in a word or two.</summary>
    public string Word => Grew
        ? (Metric.Checked ? "**grew: fails**" : "grew (reported only)")
        : Late < (Early * (1 - SoakMetric.RelativeTolerance)) - Metric.Margin ? "fell" : "flat";

    /// <summary>The verdict as a Markdown table row.</summary>
    public string ToRow()
    {
        var change = Early == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({(Late - Early) / Early * 100:+0.0;-0.0;0.0}%)");
        var magnitude = Metric.Format(Math.Abs(SlopePerMillionJobs));
        var slope = magnitude == Metric.Format(0) ? magnitude : (SlopePerMillionJobs > 0 ? "+" : "-") + magnitude;
        return $"| {Metric.Name} | {Metric.Format(Early)} | {Metric.Format(Late)}{change} | {slope} | {Metric.Format(Limit)} | {Word} |";
    }

    /// <summary>
    /// Splits <paramref name="samples"/> of a run of <paramref name="jobs"/> jobs: warm-up until a quarter of the jobs
    /// have finished and at least <paramref name="minimumWarmup"/> has passed; then the first third of the rest (the
    /// run's second quarter when the warm-up is exactly a quarter) is the early window and the last third (the last
    /// quarter) the late window, both by jobs finished. Returns <see langword="null"/> with a reason when either
    /// window has fewer than 3 samples.
    /// </summary>
    public static SoakWindows? Split(IReadOnlyList<SoakSample> samples, long jobs, TimeSpan minimumWarmup, out string? reason)
    {
        var start = -1;
        for (var i = 0; i < samples.Count; i++)
        {
            if (samples[i].Finished * 4 >= jobs && samples[i].Seconds >= minimumWarmup.TotalSeconds)
            {
                start = i;
                break;
            }
        }

        var after = start < 0 ? [] : samples.Skip(start).ToList();
        var from = after.Count == 0 ? jobs : after[0].Finished;
        var third = (jobs - from) / 3.0;
        var early = after.Where(s => s.Finished < from + third).ToList();
        var late = after.Where(s => s.Finished >= jobs - third).ToList();
        if (early.Count < 3 || late.Count < 3)
        {
            reason = $"too few samples after warm-up for a verdict ({early.Count} early, {late.Count} late; 3 each needed): run more jobs";
            return null;
        }

        reason = null;
        return new SoakWindows(after, early, late);
    }

    /// <summary>The verdict of every metric that has a value in every sample after warm-up.</summary>
    public static IReadOnlyList<SoakVerdict> Judge(SoakWindows windows) =>
    [
        .. SoakMetric.All
            .Where(m => windows.AfterWarmup.All(s => m.Read(s) is not null))
            .Select(m => new SoakVerdict(
                m,
                windows.Early.Average(s => m.Read(s)!.Value),
                windows.Late.Average(s => m.Read(s)!.Value),
                Slope(windows.AfterWarmup.Select(s => (s.Finished / 1e6, m.Read(s)!.Value)).ToList()))),
    ];

    /// <summary>The slope of the least-squares line through the points; 0 when they share one x.</summary>
    private static double Slope(List<(double X, double Y)> points)
    {
        var meanX = points.Average(p => p.X);
        var meanY = points.Average(p => p.Y);
        var sxx = points.Sum(p => (p.X - meanX) * (p.X - meanX));
        return sxx == 0 ? 0 : points.Sum(p => (p.X - meanX) * (p.Y - meanY)) / sxx;
    }
}
