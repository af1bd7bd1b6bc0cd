using System.Collections.Concurrent;
using System.Globalization;

namespace JobTracking.Storage;

/// <summary>The default store: every job in this process's memory, lost when it stops. Create one to wrap it in a decorator of your own, then pass it to <c>UseStore</c>.</summary>
/// <remarks>
/// <para>A status transition is one interlocked compare-and-set on a word that packs (version, busy bit, status); the
/// busy bit keeps readers from seeing a half-written record while the winner stores the fields that go with the
/// move, without a lock. Only jobs entering or leaving the queue, or holding a concurrency key, touch the queue lock.</para>
/// <para>It keeps at most a given number of finished jobs (Completed, Cancelled, Failed; <see cref="DefaultMaxFinishedJobs"/> unless told
/// otherwise): when one more finishes, the one that finished first is purged with its log and rejects, so a long-running process does not grow without bound.</para>
/// </remarks>
public sealed partial class InMemoryJobStore : IJobStore, IJobJournalStore, IJobHistoryStore, IJobQueryStore, IJobFeedStore, IJobScheduleStore
{
    /// <summary>The default most jobs held queued at once.</summary>
    public const int DefaultQueueCapacity = 1_000_000;

    /// <summary>The default most finished jobs (Completed, Cancelled, Failed) kept; beyond it the one that finished first is purged.</summary>
    public const int DefaultMaxFinishedJobs = 10_000;

    private const long StatusMask = 0x7F;
    private const long BusyBit = 0x80;
    private const int VersionShift = 8;
    private const long PurgedState = StatusMask | BusyBit;

    private readonly ConcurrentDictionary<Guid, Entry> _jobs = new();
    private readonly ConcurrentDictionary<Guid, Journal> _journals = new();
    private readonly Lock _indexLock = new();
    private readonly List<Entry> _byCreation = []; // oldest first, for keyset pages without a scan
    private readonly Lock _queueLock = new();
    private readonly Dictionary<string, PriorityQueue<Ticket, (int Priority, long Sequence)>> _readyByType = new(StringComparer.Ordinal);
    private readonly HashSet<string> _activeKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<Ticket>> _waitingForKey = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Ticket, (long Ticks, long Order)> _waitingForTime = new();
    private readonly Lock _idempotencyLock = new();
    private readonly Dictionary<string, Entry> _keyHolders = new(StringComparer.Ordinal);
    private readonly int _queueCapacity;
    private readonly TimeProvider _time;
    private readonly Feed _feed;
    private long _sequence;
    private int _queuedCount;

    /// <summary>Creates an empty store.</summary>
    /// <param name="timeProvider">The store's clock, for leases; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="queueCapacity">The most jobs held queued at once, at least 1; starting one more throws <see cref="JobQueueFullException"/>.</param>
    /// <param name="maxFinishedJobs">The most finished jobs (Completed, Cancelled, Failed) kept, at least 1: when one more finishes, the one that finished first is purged with its journal. <see langword="null"/> keeps them all.</param>
    /// <param name="feedCapacity">How many changes the change feed holds, 16 to 2^30, rounded up to a power of two (<see cref="DefaultFeedCapacity"/> by default); a subscriber more than this many changes behind loses the oldest.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="queueCapacity"/> or <paramref name="maxFinishedJobs"/> is below 1, or <paramref name="feedCapacity"/> is out of range.</exception>
    public InMemoryJobStore(TimeProvider? timeProvider = null, int queueCapacity = DefaultQueueCapacity, int? maxFinishedJobs = DefaultMaxFinishedJobs, int feedCapacity = DefaultFeedCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(feedCapacity, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(feedCapacity, 1 << 30);
        _feed = new Feed(Feed.RoundCapacity(feedCapacity));
        if (maxFinishedJobs is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(maxFinishedJobs));
        }

        _time = timeProvider ?? TimeProvider.System;
        _queueCapacity = queueCapacity;
        _maxFinishedJobs = maxFinishedJobs;
    }

    /// <inheritdoc/>
    public JobStoreCapabilities Capabilities => JobStoreCapabilities.None;

    /// <inheritdoc/>
    public bool IsTransient(Exception exception) => false;

    /// <inheritdoc/>
    public ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckNewJob(job);
        cancellationToken.ThrowIfCancellationRequested();
        return job.IdempotencyKey is null ? CreateOne(job) : CreateKeyed(job);
    }

    private ValueTask<Guid> CreateOne(JobRecord job)
    {
        if (_jobs.TryGetValue(job.Id, out var held))
        {
            return FoundStored(held, job);
        }

        var entry = new Entry(job);
        if (job.Status == JobStatus.Queued)
        {
            ReserveQueueSlot();
        }

        // Added busy, so no command moves the job before its creation is in the feed.
        var idle = entry.State;
        entry.State = idle | BusyBit;
        if (!_jobs.TryAdd(job.Id, entry))
        {
            if (job.Status == JobStatus.Queued)
            {
                Interlocked.Decrement(ref _queuedCount);
            }

            return _jobs.TryGetValue(job.Id, out held) ? FoundStored(held, job) : throw Exists(job);
        }

        Record(entry, JobEventKind.Created, job.Status, job.Status, job.Version, job.CreatedAt);
        Volatile.Write(ref entry.State, idle);

        AddToIndex(entry);
        if (job.Status == JobStatus.Queued)
        {
            Enqueue(entry, job.Version);
        }

        return new(job.Id);
    }

    // The create was sent again after its answer was lost, and finds its own job: done. Another job with the id is refused.
    private static ValueTask<Guid> FoundStored(Entry held, JobRecord job) =>
        held.Snapshot() is { } stored && JobStoreArguments.IsIdenticalNewJob(stored, job) ? new(job.Id) : throw Exists(job);

    private static ArgumentException Exists(JobRecord job) =>
        new($"Another job with id '{job.Id}' already exists (a create sent again finds its own job identical: same type, display name, parameters, launched-by, priority, concurrency key and creation time); nothing was stored.", nameof(job));

    /// <inheritdoc/>
    public ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(_jobs.TryGetValue(jobId, out var entry) ? entry.Snapshot() : null);
    }

    /// <inheritdoc/>
    public ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckTransition(in transition);

        return new(_jobs.TryGetValue(transition.JobId, out var entry) && TryApply(entry, in transition));
    }

    /// <inheritdoc/>
    public ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckProgress(update);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_jobs.TryGetValue(update.JobId, out var entry) && Mutate(entry, (Store: this, Update: update), static (e, s) =>
        {
            var (u, status) = (s.Update, (JobStatus)(e.State & StatusMask));
            if (!JobLifecycle.IsActive(status) || (u.ClaimId is { } claim && e.Owner?.ClaimId != claim))
            {
                return false;
            }

            e.Report = u.Report;
            if (u.HasCheckpoint)
            {
                e.Saved = new SavedCheckpoint(u.Checkpoint, u.Report);
            }

            s.Store.Record(e, JobEventKind.Progress, status, status, e.State >> VersionShift, s.Store._time.GetUtcNow());
            return true;
        }));
    }

    /// <inheritdoc/>
    public ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(displayName);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_jobs.TryGetValue(jobId, out var entry))
        {
            return new(false);
        }

        var idle = Pack(JobStatus.Editing, expectedVersion, busy: false);
        if (Interlocked.CompareExchange(ref entry.State, Pack(JobStatus.Editing, expectedVersion + 1, busy: true), idle) != idle)
        {
            return new(false);
        }

        entry.Parameters = parameters;
        entry.DisplayName = displayName;
        Record(entry, JobEventKind.DraftEdited, JobStatus.Editing, JobStatus.Editing, expectedVersion + 1, _time.GetUtcNow());
        Volatile.Write(ref entry.State, Pack(JobStatus.Editing, expectedVersion + 1, busy: false));
        return new(true);
    }

    private static long Pack(JobStatus status, long version, bool busy) =>
        (version << VersionShift) | (busy ? BusyBit : 0) | (long)status;

    // Changes fields that go with no status change under the busy bit. Each field it writes is one reference, so a
    // seqlock reader that sees the same state word on both sides reads each of them whole.
    private static bool Mutate<T>(Entry entry, T value, Func<Entry, T, bool> write)
    {
        var spin = default(SpinWait);
        while (true)
        {
            var state = Volatile.Read(ref entry.State);
            if (state == PurgedState)
            {
                return false;
            }

            if ((state & BusyBit) == 0 && Interlocked.CompareExchange(ref entry.State, state | BusyBit, state) == state)
            {
                bool written;
                try
                {
                    written = write(entry, value);
                }
                finally
                {
                    Volatile.Write(ref entry.State, state);
                }

                return written;
            }

            spin.SpinOnce();
        }
    }

    private bool TryApply(Entry entry, in JobTransition t, bool keyHeld = false, JobClaim? claim = null)
    {
        var expected = Pack(t.FromStatus, t.ExpectedVersion, busy: false);
        var version = t.ExpectedVersion + 1;
        var enteringQueue = t.ToStatus == JobStatus.Queued;
        if (enteringQueue)
        {
            ReserveQueueSlot();
        }

        if (Interlocked.CompareExchange(ref entry.State, Pack(t.ToStatus, version, busy: true), expected) != expected)
        {
            if (enteringQueue)
            {
                Interlocked.Decrement(ref _queuedCount);
            }

            return false;
        }

        // The claim changes only under the busy bit, so checking it here is part of the compare-and-set.
        if (t.ClaimId is { } fence && entry.Owner?.ClaimId != fence)
        {
            Volatile.Write(ref entry.State, expected);
            if (enteringQueue)
            {
                Interlocked.Decrement(ref _queuedCount);
            }

            return false;
        }

        if (t.IsNewAttempt)
        {
            // The attempt history changes only here (a restart), so no other move allocates for it.
            // A retry carries the error that ended the attempt: the attempt is recorded Failed with it.
            entry.PreviousAttempts = [.. entry.PreviousAttempts, new JobAttempt
            {
                Number = entry.Attempt,
                StartedAt = entry.StartedAt ?? t.At,
                EndedAt = t.Error is null ? entry.EndedAt ?? t.At : t.At,
                Status = t.Error is null ? t.FromStatus : JobStatus.Failed,
                Error = t.Error ?? entry.Error,
            }];
            entry.Attempt++;
            entry.StartedAt = null;
            entry.Error = null;
        }

        switch (t.ToStatus)
        {
            case JobStatus.Running when t.FromStatus == JobStatus.Queued:
                entry.StartedAt ??= t.At;
                entry.Node = t.Node;
                break;
            case JobStatus.Completed or JobStatus.Cancelled:
                entry.EndedAt = t.At;
                break;
            case JobStatus.Failed:
                entry.EndedAt = t.At;
                entry.Error = t.Error;
                break;
            case JobStatus.Queued:
                entry.EndedAt = null;
                entry.RunAfter = t.RunAfter;
                break;
        }

        if (t.Report is { } report)
        {
            entry.Report = report;
        }

        if (t.HasCheckpoint)
        {
            entry.Saved = new SavedCheckpoint(t.Checkpoint, t.Report ?? entry.Report);
        }

        if (claim is not null)
        {
            entry.Owner = claim;
        }
        else if (!JobLifecycle.IsActive(t.ToStatus))
        {
            entry.Owner = null;
        }

        if (t.FromStatus == JobStatus.Queued)
        {
            Interlocked.Decrement(ref _queuedCount);
        }

        var releasesKey = entry.ConcurrencyKey is not null && JobLifecycle.IsActive(t.FromStatus) && !JobLifecycle.IsActive(t.ToStatus) && !keyHeld;
        if (enteringQueue || releasesKey)
        {
            // The change and what it does to claims become visible together: a reader of the feed that this change wakes
            // (a scheduler told of a job queued or a key freed) claims under this lock, so after the key is free and the
            // job in its queue; and the next job of the key is claimed, and recorded Running, after this change.
            lock (_queueLock)
            {
                Record(entry, JobEventKind.StatusChanged, t.FromStatus, t.ToStatus, version, t.At);
                Volatile.Write(ref entry.State, Pack(t.ToStatus, version, busy: false));
                if (releasesKey)
                {
                    ReleaseKeyLocked(entry.ConcurrencyKey!);
                }

                if (enteringQueue)
                {
                    EnqueueLocked(entry, version);
                }
            }
        }
        else
        {
            Record(entry, JobEventKind.StatusChanged, t.FromStatus, t.ToStatus, version, t.At);
            Volatile.Write(ref entry.State, Pack(t.ToStatus, version, busy: false));
        }

        if (_maxFinishedJobs is { } maxFinished && JobLifecycle.IsFinished(t.ToStatus))
        {
            KeepFinishedWithin(maxFinished, entry, Pack(t.ToStatus, version, busy: false));
        }

        return true;
    }

    // A job taken from its owner (or found Interrupted) goes back to Queued at the place it had, as one step: two changes
    // (to Interrupted, then to Queued) under the busy bit, then its ticket and the release of its concurrency key under
    // one hold of the queue lock, so no claim sees the key free while the job is not back in the queue. The queue's
    // capacity does not apply: the job was admitted once and never left the store.
    private bool TryResumeInPlace(Entry entry, long state, JobClaim? owner, DateTimeOffset at)
    {
        var from = (JobStatus)(state & StatusMask);
        var version = state >> VersionShift;
        var queuedVersion = version + (from == JobStatus.Interrupted ? 1 : 2);
        if (Interlocked.CompareExchange(ref entry.State, Pack(JobStatus.Queued, queuedVersion, busy: true), state) != state)
        {
            return false;
        }

        // The owner changes only under the busy bit: one renewed or replaced since it was judged expired is not taken.
        if (!ReferenceEquals(entry.Owner, owner))
        {
            Volatile.Write(ref entry.State, state);
            return false;
        }

        Interlocked.Increment(ref _queuedCount);
        if (from != JobStatus.Interrupted)
        {
            entry.Owner = null;
            Record(entry, JobEventKind.StatusChanged, from, JobStatus.Interrupted, version + 1, at);
        }

        entry.EndedAt = null;
        lock (_queueLock)
        {
            // Queued in the feed only with its place back and its key free (see TryApply).
            Record(entry, JobEventKind.StatusChanged, JobStatus.Interrupted, JobStatus.Queued, queuedVersion, at);
            Volatile.Write(ref entry.State, Pack(JobStatus.Queued, queuedVersion, busy: false));
            if (from != JobStatus.Interrupted && entry.ConcurrencyKey is { } key)
            {
                ReleaseKeyLocked(key);
            }

            EnqueueLocked(entry, queuedVersion, keepPlace: true);
        }

        return true;
    }

    /// <summary>A checkpoint and the report stored with it, swapped whole.</summary>
    private sealed record SavedCheckpoint(string? Checkpoint, JobReport? Report);
}
