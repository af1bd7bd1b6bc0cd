using System.Globalization;

namespace JobTracking.Benchmarks.Soak;

/// <summary>
/// One column of the soak samples that gets a verdict. <paramref name="Checked"/> metrics decide the exit code; the
/// others are reported only. A metric grew when its late mean is above its early mean by more than
/// <see cref="RelativeTolerance"/> plus <paramref name="Margin"/> (in the metric's own unit).
/// </summary>
public sealed record SoakMetric(string Name, Func<SoakSample, double?> Read, bool Checked, double Margin, bool Bytes)
{
    /// <summary>The growth allowed beyond the margin: 10% of the early mean.</summary>
    public const double RelativeTolerance = 0.10;

    /// <summary>The absolute margin for memory and file sizes: 8 MiB, about what one GC heap region or a few SQLite cache pages move by between samples.</summary>
    public const double ByteMargin = 8 * 1024 * 1024;

    /// <summary>The absolute margin for counts of handles, descriptors and threads.</summary>
    public const double CountMargin = 8;

    /// <summary>The metrics of a soak run, the ones that decide the exit code first.</summary>
    public static readonly IReadOnlyList<SoakMetric> All =
    [
        new("working set", s => s.WorkingSet, Checked: true, ByteMargin, Bytes: true),
        new("GC heap (GetTotalMemory)", s => s.GcHeap, Checked: true, ByteMargin, Bytes: true),
        new("GC heap after the last GC", s => s.GcHeapAfterGc, Checked: true, ByteMargin, Bytes: true),
        new("handles (Process.HandleCount)", s => s.Handles, Checked: true, CountMargin, Bytes: false),
        new("file descriptors (/proc/self/fd)", s => s.Descriptors, Checked: true, CountMargin, Bytes: false),
        new("threads", s => s.Threads, Checked: false, CountMargin, Bytes: false),
        new("thread-pool threads", s => s.PoolThreads, Checked: false, CountMargin, Bytes: false),
        new("jobs kept by the store", s => s.Kept, Checked: false, Margin: 0, Bytes: false),
        new("changes kept in the change feed", s => s.FeedChanges, Checked: false, Margin: 0, Bytes: false),
        new("database file", s => s.DatabaseBytes, Checked: false, ByteMargin, Bytes: true),
        new("WAL file", s => s.WalBytes, Checked: false, ByteMargin, Bytes: true),
    ];

    /// <summary>Formats a value of this metric: MiB for bytes, a whole number otherwise.</summary>
    public string Format(double value) => Bytes
        ? (value / (1024 * 1024)).ToString("N1", CultureInfo.InvariantCulture) + " MiB"
        : value.ToString("N0", CultureInfo.InvariantCulture);
}
