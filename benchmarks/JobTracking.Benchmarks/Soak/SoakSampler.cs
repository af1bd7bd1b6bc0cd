using System.Diagnostics;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks.Soak;

/// <summary>
/// Reads the process (working set, GC heap, handles, open file descriptors, threads, the thread pool) and the store
/// (jobs kept, changes in the feed, the SQLite file and its WAL) at a fixed interval while a soak run goes on.
/// </summary>
public sealed class SoakSampler(JobTrackingSystem system, Func<long> finished, TimeProvider time) : IDisposable
{
    private const string DescriptorFolder = "/proc/self/fd";

    private readonly Process _process = Process.GetCurrentProcess();
    private readonly List<SoakSample> _samples = [];
    private readonly long _started = time.GetTimestamp();
    private readonly PeriodicTimer _timer = new(SoakReport.SampleInterval, time);
    private volatile SoakSample? _latest;

    /// <summary>Gets the samples taken so far; read it once <see cref="RunAsync"/> has returned.</summary>
    public IReadOnlyList<SoakSample> Samples => _samples;

    /// <summary>Gets the latest sample, from any thread.</summary>
    public SoakSample? Latest => _latest;

    /// <summary>Takes a sample now and then one per <see cref="SoakReport.SampleInterval"/> until <see cref="Stop"/> is called.</summary>
    public async Task RunAsync()
    {
        await SampleAsync();
        while (await _timer.WaitForNextTickAsync())
        {
            await SampleAsync();
        }
    }

    /// <summary>Stops <see cref="RunAsync"/> after the sample it may be taking (a stopped timer ends the loop without an exception).</summary>
    public void Stop() => _timer.Dispose();

    /// <summary>Takes one sample and keeps it; not to be called while <see cref="RunAsync"/> runs.</summary>
    public async Task<SoakSample> SampleAsync()
    {
        var kept = (await system.Queries.CountAsync()).Sum(c => c.Count);
        var feed = await system.Feed.ReadFeedAsync(long.MaxValue - 1, Memory<JobChange>.Empty); // the bounds only
        _process.Refresh();
        var database = system.DatabasePath;
        var sample = new SoakSample(
            Seconds: time.GetElapsedTime(_started).TotalSeconds,
            Finished: finished(),
            Kept: kept,
            FeedChanges: feed.LatestSequence - feed.FirstSequence + 1,
            WorkingSet: _process.WorkingSet64,
            GcHeap: GC.GetTotalMemory(forceFullCollection: false),
            GcHeapAfterGc: GC.GetGCMemoryInfo().HeapSizeBytes,
            Gen2Collections: GC.CollectionCount(2),
            Handles: _process.HandleCount,
            Descriptors: OperatingSystem.IsLinux() ? Directory.EnumerateFileSystemEntries(DescriptorFolder).Count() : null,
            Threads: _process.Threads.Count,
            PoolThreads: ThreadPool.ThreadCount,
            PoolPending: ThreadPool.PendingWorkItemCount,
            DatabaseBytes: database is null ? null : Length(database),
            WalBytes: database is null ? null : Length(database + "-wal"));
        _samples.Add(sample);
        _latest = sample;
        return sample;
    }

    public void Dispose()
    {
        _timer.Dispose();
        _process.Dispose();
    }

    private static long Length(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? file.Length : 0;
    }
}
