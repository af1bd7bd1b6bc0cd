namespace JobTracking.Storage;

public sealed partial class InMemoryJobStore
{
    /// <summary>The default number of changes the change feed holds: past it, the oldest change is overwritten.</summary>
    public const int DefaultFeedCapacity = 131_072;

    /// <summary>Gets how many changes the change feed holds; a reader more than this many changes behind loses the oldest.</summary>
    public int FeedCapacity => _feed.Capacity;

    /// <inheritdoc/>
    public ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_feed.Read(afterSequence, buffer.Span));
    }

    /// <inheritdoc/>
    public ValueTask WaitForChangesAsync(long afterSequence, CancellationToken cancellationToken = default) =>
        _feed.WaitAsync(afterSequence, cancellationToken);

    // Called by every change while the job's busy bit is held, so one job's changes enter the feed in version order.
    private void Record(Entry entry, JobEventKind kind, JobStatus previousStatus, JobStatus status, long version, DateTimeOffset at) =>
        _feed.Write(entry, kind, previousStatus, status, version, at);

    /// <summary>
    /// The change feed: a ring of the latest changes with an awaitable tail. A writer takes the next sequence number with
    /// one interlocked increment and fills its slot; a reader copies a slot and then checks that no writer has taken a
    /// number that maps onto it since (the ring lapped it), so it never returns a torn change. No lock, no allocation.
    /// </summary>
    private sealed class Feed(int capacity)
    {
        private readonly Slot[] _slots = new Slot[capacity];
        private readonly long _mask = capacity - 1;
        private long _head; // the last sequence number taken; its slot may still be being filled
        private TaskCompletionSource? _waiter;

        public int Capacity => _slots.Length;

        public static int RoundCapacity(int requested) =>
            (int)Math.Min(1 << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(requested, 16)));

        public void Write(Entry entry, JobEventKind kind, JobStatus previousStatus, JobStatus status, long version, DateTimeOffset at)
        {
            var sequence = Interlocked.Increment(ref _head);
            ref var slot = ref _slots[sequence & _mask];
            slot.Entry = entry;
            slot.Kind = kind;
            slot.PreviousStatus = previousStatus;
            slot.Status = status;
            slot.Version = version;
            slot.At = at;
            slot.Attempt = entry.Attempt;
            slot.Report = entry.Report;
            slot.InstanceId = entry.Owner?.InstanceId;
            slot.RunAfter = status == JobStatus.Queued && kind is JobEventKind.Created or JobEventKind.StatusChanged ? entry.RunAfter : null;

            // Written only by the changes they belong to (each reference written into the ring costs a GC write
            // barrier); a reader takes them from the slot only for those kinds of change.
            if (status == JobStatus.Failed)
            {
                slot.Error = entry.Error;
            }

            if (kind is JobEventKind.Created or JobEventKind.DraftEdited)
            {
                slot.DisplayName = entry.DisplayName;
            }

            Volatile.Write(ref slot.Sequence, sequence);
            if (Volatile.Read(ref _waiter) is not null)
            {
                Interlocked.Exchange(ref _waiter, null)?.TrySetResult();
            }
        }

        public JobFeedRead Read(long after, Span<JobChange> buffer)
        {
            var count = 0;
            while (true)
            {
                var head = Volatile.Read(ref _head);
                var first = Math.Max(1, head - _slots.Length + 1);
                var next = Math.Max(after + 1, first);
                var spin = default(SpinWait);
                while (next <= head && count < buffer.Length)
                {
                    ref var slot = ref _slots[next & _mask];
                    if (Volatile.Read(ref slot.Sequence) != next)
                    {
                        if (Volatile.Read(ref _head) - _slots.Length >= next)
                        {
                            break; // lapped while we read: start again from the oldest held
                        }

                        if (count > 0)
                        {
                            return Result(count, head);
                        }

                        spin.SpinOnce(); // taken but not filled yet: its writer is a few stores away
                        continue;
                    }

                    var entry = slot.Entry;
                    var report = slot.Report;
                    buffer[count] = new JobChange
                    {
                        Sequence = next,
                        Kind = slot.Kind,
                        JobId = entry.Id,
                        TypeName = entry.TypeName,
                        DisplayName = slot.Kind is JobEventKind.Created or JobEventKind.DraftEdited ? slot.DisplayName : entry.DisplayName,
                        LaunchedBy = entry.LaunchedBy,
                        PreviousStatus = slot.PreviousStatus,
                        Status = slot.Status,
                        Version = slot.Version,
                        Attempt = slot.Attempt,
                        At = slot.At,
                        Progress = report.Progress,
                        WarningCount = report.WarningCount,
                        Error = slot.Status == JobStatus.Failed ? slot.Error : null,
                        InstanceId = slot.InstanceId,
                        RunAfter = slot.RunAfter,
                    };

                    // A full fence, then: has a writer taken a number that lands on this slot since we checked it?
                    Interlocked.MemoryBarrier();
                    if (Volatile.Read(ref _head) - _slots.Length >= next)
                    {
                        break;
                    }

                    count++;
                    next++;
                }

                if (next > head || count == buffer.Length)
                {
                    return Result(count, head);
                }

                if (count > 0)
                {
                    return Result(count, head);
                }

                after = Math.Max(after, Volatile.Read(ref _head) - _slots.Length); // lapped before anything was read: retry from the oldest
            }
        }

        public ValueTask WaitAsync(long after, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _head) > after)
            {
                return ValueTask.CompletedTask;
            }

            var waiter = Volatile.Read(ref _waiter);
            if (waiter is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waiter = Interlocked.CompareExchange(ref _waiter, created, null) ?? created;
            }

            // Registered first, then looked again: a writer that took a number meanwhile has seen the waiter or is seen here.
            if (Volatile.Read(ref _head) > after)
            {
                return ValueTask.CompletedTask;
            }

            return new ValueTask(waiter.Task.WaitAsync(cancellationToken));
        }

        private JobFeedRead Result(int count, long head) => new()
        {
            Count = count,
            FirstSequence = Math.Max(1, Volatile.Read(ref _head) - _slots.Length + 1),
            LatestSequence = head,
        };

        private struct Slot
        {
            public long Sequence;
            public Entry Entry;
            public JobEventKind Kind;
            public JobStatus PreviousStatus;
            public JobStatus Status;
            public int Attempt;
            public long Version;
            public DateTimeOffset At;
            public JobReport Report;
            public JobError? Error; // set for a move to Failed only
            public string? InstanceId;
            public DateTimeOffset? RunAfter; // set for a creation or a move to Queued only
            public string DisplayName; // set for a creation or a draft edit only: a draft's name changes only then
        }
    }
}
