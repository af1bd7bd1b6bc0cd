using System.Collections.Concurrent;
using System.Globalization;

namespace JobTracking.Storage;

// The in-memory store: the ready queues by type, priority and place, and the jobs waiting for a concurrency key.
public sealed partial class InMemoryJobStore
{
    private void ReserveQueueSlot()
    {
        if (Interlocked.Increment(ref _queuedCount) > _queueCapacity)
        {
            Interlocked.Decrement(ref _queuedCount);
            throw new JobQueueFullException(_queueCapacity);
        }
    }

    private void Enqueue(Entry entry, long version)
    {
        lock (_queueLock)
        {
            EnqueueLocked(entry, version);
        }
    }

    private void EnqueueLocked(Entry entry, long version, bool keepPlace = false)
    {
        // A job whose time has not come waits outside the ready queues, and takes its place when it comes due.
        if (!keepPlace && entry.RunAfter is { } runAfter && runAfter > _time.GetUtcNow())
        {
            _waitingForTime.Enqueue(new Ticket(entry, version, 0), (runAfter.UtcTicks, ++_sequence));
            return;
        }

        if (!_readyByType.TryGetValue(entry.TypeName, out var queue))
        {
            _readyByType[entry.TypeName] = queue = new PriorityQueue<Ticket, (int, long)>();
        }

        var sequence = keepPlace && entry.QueueSequence != 0 ? entry.QueueSequence : entry.QueueSequence = ++_sequence;
        queue.Enqueue(new Ticket(entry, version, sequence), (-entry.Priority, sequence));
    }

    private void ReleaseKeyLocked(string key)
    {
        _activeKeys.Remove(key);
        if (_waitingForKey.Remove(key, out var waiting))
        {
            // Back into the ready queues with their original place, so the key's jobs still run in queue order.
            foreach (var ticket in waiting)
            {
                var entry = ticket.Entry;
                _readyByType[entry.TypeName].Enqueue(ticket, (-entry.Priority, ticket.Sequence));
            }
        }
    }

    // Moves the waiting jobs whose time has come into the ready queues, in the order of their times, each taking the
    // next place; a ticket of a job that has moved on since (held, cancelled, queued again) is dropped.
    private void PromoteDueLocked(DateTimeOffset now)
    {
        while (_waitingForTime.TryPeek(out var ticket, out var due) && due.Ticks <= now.UtcTicks)
        {
            _waitingForTime.Dequeue();
            if (Volatile.Read(ref ticket.Entry.State) == Pack(JobStatus.Queued, ticket.Version, busy: false))
            {
                EnqueueLocked(ticket.Entry, ticket.Version, keepPlace: false);
            }
        }
    }

    // The earliest time a waiting job comes due after now; stale tickets on top are dropped on the way.
    private DateTimeOffset? NextDueLocked(DateTimeOffset now)
    {
        PromoteDueLocked(now);
        while (_waitingForTime.TryPeek(out var ticket, out var due))
        {
            if (Volatile.Read(ref ticket.Entry.State) == Pack(JobStatus.Queued, ticket.Version, busy: false))
            {
                return new DateTimeOffset(due.Ticks, TimeSpan.Zero);
            }

            _waitingForTime.Dequeue();
        }

        return null;
    }

    private bool TryDequeueBest(IReadOnlyDictionary<string, int> typeLimits, Dictionary<string, int>? claimedByType, out Ticket ticket)
    {
        PriorityQueue<Ticket, (int Priority, long Sequence)>? best = null;
        (int Priority, long Sequence) bestKey = default;
        foreach (var (type, queue) in _readyByType)
        {
            if (queue.TryPeek(out _, out var key) && (best is null || key.CompareTo(bestKey) < 0) && !AtLimit(typeLimits, claimedByType, type))
            {
                best = queue;
                bestKey = key;
            }
        }

        if (best is null)
        {
            ticket = default;
            return false;
        }

        ticket = best.Dequeue();
        return true;
    }

    private static bool AtLimit(IReadOnlyDictionary<string, int> typeLimits, Dictionary<string, int>? claimedByType, string type) =>
        claimedByType is not null && typeLimits.TryGetValue(type, out var limit) && claimedByType.GetValueOrDefault(type) >= limit;

    private readonly record struct Ticket(Entry Entry, long Version, long Sequence);
}
