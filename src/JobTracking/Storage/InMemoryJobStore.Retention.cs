using System.Collections.Concurrent;
using System.Diagnostics;

namespace JobTracking.Storage;

/// <summary>Retention: purging finished jobs by age (<see cref="PurgeAsync"/>) and by number (the bound given to the constructor).</summary>
public sealed partial class InMemoryJobStore
{
    // Below this many purged entries the creation index is not worth compacting.
    private const int MinIndexCompaction = 1024;

    private readonly int? _maxFinishedJobs;

    // One ticket per move to a finished status, in finish order. A ticket whose job has moved on since (restarted,
    // finished again, purged by age) is stale: it purges nothing when its turn comes, and the job's newer ticket, if
    // any, stands for it. Bounding the tickets rather than the finished jobs keeps this lock-free and the queue bounded;
    // the price is that a stale ticket may let one fewer finished job be kept for a while.
    private readonly ConcurrentQueue<FinishedTicket> _finished = new();
    private int _finishedTickets;

    // Purged entries still in the creation index: they are skipped when read, and removed in one pass once they make
    // up half of it, so a purge costs no scan of the index.
    private int _purgedInIndex;
    private int _indexCount;

    /// <inheritdoc/>
    public ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckPurge(maxCount);
        var purged = 0;
        foreach (var entry in _jobs.Values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (purged >= maxCount)
            {
                break;
            }

            var state = Volatile.Read(ref entry.State);
            var status = (JobStatus)(state & StatusMask);
            if ((state & BusyBit) != 0 || !JobLifecycle.IsFinished(status) || entry.EndedAt is not { } ended || ended >= endedBefore)
            {
                continue;
            }

            if (TryPurge(entry, state))
            {
                purged++;
            }
        }

        return new(purged);
    }

    /// <summary>Records a job that has just finished and purges the jobs that finished first, beyond <paramref name="maxFinished"/>.</summary>
    private void KeepFinishedWithin(int maxFinished, Entry entry, long finishedState)
    {
        // Enqueued before it is counted, and uncounted before it is dequeued, so the queue never holds fewer tickets than counted.
        _finished.Enqueue(new FinishedTicket(entry, finishedState));
        Interlocked.Increment(ref _finishedTickets);
        while (true)
        {
            var count = Volatile.Read(ref _finishedTickets);
            if (count <= maxFinished)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _finishedTickets, count - 1, count) != count)
            {
                continue;
            }

            var dequeued = _finished.TryDequeue(out var oldest);
            Debug.Assert(dequeued, "The queue holds at least as many tickets as counted.");
            if (dequeued)
            {
                TryPurge(oldest.Entry, oldest.State);
            }
        }
    }

    /// <summary>Deletes a job with its journal if it still has <paramref name="state"/>.</summary>
    private bool TryPurge(Entry entry, long state)
    {
        // Claim the entry with a status no transition expects, so a racing restart cannot revive a deleted job.
        if (Interlocked.CompareExchange(ref entry.State, PurgedState, state) != state)
        {
            return false;
        }

        _jobs.TryRemove(entry.Id, out _);
        _journals.TryRemove(entry.Id, out _);
        ForgetKey(entry);
        var purged = Interlocked.Increment(ref _purgedInIndex);
        if (purged >= MinIndexCompaction && purged > Volatile.Read(ref _indexCount) / 2)
        {
            CompactIndex();
        }

        return true;
    }

    private void CompactIndex()
    {
        lock (_indexLock)
        {
            // Another thread may have compacted while this one waited for the lock.
            if (Volatile.Read(ref _purgedInIndex) <= _byCreation.Count / 2)
            {
                return;
            }

            var removed = _byCreation.RemoveAll(static e => Volatile.Read(ref e.State) == PurgedState);
            Interlocked.Add(ref _purgedInIndex, -removed);
            Volatile.Write(ref _indexCount, _byCreation.Count);
        }
    }

    /// <summary>A job that finished, and the state word it finished with.</summary>
    private readonly record struct FinishedTicket(Entry Entry, long State);
}
