using System.Globalization;

namespace JobTracking.Benchmarks.Soak;

/// <summary>
/// One reading taken during a soak run: how far the run is, what the store keeps (jobs, and changes in its change
/// feed), and what the process holds.
/// The database sizes are <see langword="null"/> on the in-memory store, the descriptor count off Linux.
/// </summary>
public sealed record SoakSample(
    double Seconds,
    long Finished,
    long Kept,
    long FeedChanges,
    long WorkingSet,
    long GcHeap,
    long GcHeapAfterGc,
    int Gen2Collections,
    int Handles,
    int? Descriptors,
    int Threads,
    int PoolThreads,
    long PoolPending,
    long? DatabaseBytes,
    long? WalBytes)
{
    /// <summary>The CSV header, in the order of <see cref="ToCsv"/>.</summary>
    public const string CsvHeader =
        "elapsed_s,jobs_finished,jobs_kept,feed_changes,working_set_bytes,gc_heap_bytes,gc_heap_after_gc_bytes,gen2_collections,handles,fds,threads,pool_threads,pool_pending,database_bytes,wal_bytes";

    /// <summary>The sample as one CSV line (invariant culture; an empty cell where a value does not apply).</summary>
    public string ToCsv() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Seconds:0.000},{Finished},{Kept},{FeedChanges},{WorkingSet},{GcHeap},{GcHeapAfterGc},{Gen2Collections},{Handles},{Descriptors},{Threads},{PoolThreads},{PoolPending},{DatabaseBytes},{WalBytes}");
}
