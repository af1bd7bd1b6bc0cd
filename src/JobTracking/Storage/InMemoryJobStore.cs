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
public sealed partial class InMemoryJobStore : IJobStore, IJobJournalStore, IJobQueryStore, IJobFeedStore
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
    public ValueTask CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckNewJob(job);
        cancellationToken.ThrowIfCancellationRequested();
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

        return ValueTask.CompletedTask;
    }

    // The create was sent again after its answer was lost, and finds its own job: done. Another job with the id is refused.
    private static ValueTask FoundStored(Entry held, JobRecord job) =>
        held.Snapshot() is { } stored && JobStoreArguments.IsIdenticalNewJob(stored, job) ? ValueTask.CompletedTask : throw Exists(job);

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
    public ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckClaim(request);
        cancellationToken.ThrowIfCancellationRequested();
        var leaseEnd = _time.GetUtcNow() + request.LeaseDuration;

        List<JobRecord>? claimed = null;
        Dictionary<string, int>? claimedByType = request.TypeLimits.Count == 0 ? null : new(StringComparer.Ordinal);
        lock (_queueLock)
        {
            while ((claimed?.Count ?? 0) < request.MaxCount && TryDequeueBest(request.TypeLimits, claimedByType, out var ticket))
            {
                var entry = ticket.Entry;
                if (Volatile.Read(ref entry.State) != Pack(JobStatus.Queued, ticket.Version, busy: false))
                {
                    continue; // moved on since it was queued (held, cancelled, or queued again with a newer ticket)
                }

                if (entry.ConcurrencyKey is { } key && !_activeKeys.Add(key))
                {
                    if (!_waitingForKey.TryGetValue(key, out var waiting))
                    {
                        _waitingForKey[key] = waiting = new Queue<Ticket>();
                    }

                    waiting.Enqueue(ticket);
                    continue;
                }

                var transition = new JobTransition
                {
                    JobId = entry.Id,
                    FromStatus = JobStatus.Queued,
                    ExpectedVersion = ticket.Version,
                    ToStatus = JobStatus.Running,
                    At = request.At,
                    Node = request.Node,
                };
                if (TryApply(entry, in transition, keyHeld: true, new JobClaim { InstanceId = request.InstanceId, ClaimId = Guid.NewGuid(), LeaseExpiresAt = leaseEnd }))
                {
                    (claimed ??= []).Add(entry.Snapshot()!);
                    if (claimedByType is not null)
                    {
                        claimedByType[entry.TypeName] = claimedByType.GetValueOrDefault(entry.TypeName) + 1;
                    }
                }
                else if (entry.ConcurrencyKey is { } heldKey)
                {
                    ReleaseKeyLocked(heldKey);
                }
            }
        }

        return new(claimed is null ? [] : claimed);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckRenewal(renewal);
        cancellationToken.ThrowIfCancellationRequested();
        var leaseEnd = _time.GetUtcNow() + renewal.LeaseDuration;
        var renewed = new List<Guid>(renewal.Claims.Count);
        foreach (var (jobId, claimId) in renewal.Claims)
        {
            if (_jobs.TryGetValue(jobId, out var entry) && Mutate(entry, (claimId, leaseEnd), static (e, r) =>
            {
                if (e.Owner is not { } owner || owner.ClaimId != r.claimId)
                {
                    return false;
                }

                e.Owner = new JobClaim { InstanceId = owner.InstanceId, ClaimId = owner.ClaimId, LeaseExpiresAt = r.leaseEnd };
                return true;
            }))
            {
                renewed.Add(jobId);
            }
        }

        return new(renewed);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckReclaim(request);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        List<JobReclaimed>? reclaimed = null;
        foreach (var entry in _jobs.Values)
        {
            if ((reclaimed?.Count ?? 0) >= request.MaxCount)
            {
                break;
            }

            var state = Volatile.Read(ref entry.State);
            var status = (JobStatus)(state & StatusMask);
            if ((state & BusyBit) != 0)
            {
                continue;
            }

            if (status == JobStatus.Interrupted)
            {
                if (request.Resume && TryResumeInPlace(entry, state, owner: null, request.At))
                {
                    (reclaimed ??= []).Add(new JobReclaimed { Job = entry.Snapshot()!, PreviousStatus = status });
                }

                continue;
            }

            if (!JobLifecycle.IsActive(status))
            {
                continue;
            }

            var owner = entry.Owner;
            var expired = owner is null || owner.LeaseExpiresAt <= now;
            var mine = owner is not null && string.Equals(owner.InstanceId, request.InstanceId, StringComparison.Ordinal);
            if (!expired && (mine || !request.IncludeLiveLeases))
            {
                continue;
            }

            bool taken;
            if (request.Resume && status is JobStatus.Running or JobStatus.ShuttingDown)
            {
                taken = TryResumeInPlace(entry, state, owner, request.At);
            }
            else
            {
                var transition = new JobTransition
                {
                    JobId = entry.Id,
                    FromStatus = status,
                    ExpectedVersion = state >> VersionShift,
                    ToStatus = status switch
                    {
                        JobStatus.Cancelling => JobStatus.Cancelled,
                        JobStatus.Pausing => JobStatus.Paused,
                        _ => JobStatus.Interrupted,
                    },
                    At = request.At,
                    ClaimId = owner?.ClaimId,
                };
                taken = TryApply(entry, in transition);
            }

            if (taken)
            {
                (reclaimed ??= []).Add(new JobReclaimed { Job = entry.Snapshot()!, PreviousStatus = status, PreviousInstanceId = owner?.InstanceId });
            }
        }

        return new(reclaimed is null ? [] : reclaimed);
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
    public ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        cancellationToken.ThrowIfCancellationRequested();
        Journal? journal = null;
        var stored = 0;
        foreach (var entry in entries)
        {
            if (entry.ClaimId is { } claim && !(_jobs.TryGetValue(entry.JobId, out var job) && job.Owner?.ClaimId == claim))
            {
                continue; // written by a run that no longer owns the job
            }

            if (journal is null || journal.JobId != entry.JobId)
            {
                journal = _journals.GetOrAdd(entry.JobId, static id => new Journal(id));
            }

            journal.Append(entry);
            stored++;
        }

        return new(stored);
    }

    /// <inheritdoc/>
    public ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return new(_journals.TryGetValue(jobId, out var journal)
            ? journal.ReadLog(after, query.PageSize, query.MinimumLevel)
            : new JournalPage<JobLogEntry> { Items = [], NextPageToken = null });
    }

    /// <inheritdoc/>
    public ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return new(_journals.TryGetValue(jobId, out var journal)
            ? journal.ReadRejects(after, query.PageSize)
            : new JournalPage<JobReject> { Items = [], NextPageToken = null });
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default)
    {
        var counts = new Dictionary<(string Type, JobStatus Status), long>();
        foreach (var entry in _jobs.Values)
        {
            var state = Volatile.Read(ref entry.State);
            if (state != PurgedState)
            {
                var key = (entry.TypeName, (JobStatus)(state & StatusMask));
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new([.. counts.Select(c => new JobCount { TypeName = c.Key.Type, Status = c.Key.Status, Count = c.Value })]);
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

    /// <inheritdoc/>
    public ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var after = JobPageToken.Decode(query.PageToken);

        // Walk the creation index from the newest job (or from just past the cursor) and stop one past the page.
        var matches = new List<JobRecord>(Math.Min(query.PageSize + 1, 256));
        lock (_indexLock)
        {
            var index = _byCreation.Count - 1;
            if (after is { } cursor)
            {
                var found = _byCreation.BinarySearch(Entry.Key(cursor.CreatedAt, cursor.Id), OldestFirst.Instance);
                index = (found >= 0 ? found : ~found) - 1;
            }

            for (; index >= 0 && matches.Count <= query.PageSize; index--)
            {
                var entry = _byCreation[index];
                if (query.CreatedFrom is { } from && entry.CreatedAt < from)
                {
                    break; // everything further is older still
                }

                var status = (JobStatus)(Volatile.Read(ref entry.State) & StatusMask);
                if (!JobQueryFilter.MayMatch(query, entry.TypeName, entry.LaunchedBy, entry.CreatedAt)
                    || (query.Statuses.Count != 0 && !query.Statuses.Contains(status)))
                {
                    continue;
                }

                var job = entry.Snapshot();
                if (job is not null && JobQueryFilter.Matches(query, job))
                {
                    matches.Add(job);
                }
            }
        }

        var hasMore = matches.Count > query.PageSize;
        if (hasMore)
        {
            matches.RemoveAt(matches.Count - 1);
        }

        return new(new JobPage { Items = matches, NextPageToken = hasMore ? JobPageToken.Encode(matches[^1]) : null });
    }

    private void AddToIndex(Entry entry)
    {
        lock (_indexLock)
        {
            AddToIndexLocked(entry);
        }
    }

    private void AddToIndexLocked(Entry entry)
    {
        // Jobs mostly arrive in creation order, so this is an append; a tie within one clock tick inserts near the end.
        var count = _byCreation.Count;
        Volatile.Write(ref _indexCount, count + 1);
        if (count == 0 || OldestFirst.Instance.Compare(_byCreation[count - 1], entry) < 0)
        {
            _byCreation.Add(entry);
        }
        else
        {
            var found = _byCreation.BinarySearch(entry, OldestFirst.Instance);
            _byCreation.Insert(found >= 0 ? found : ~found, entry);
        }
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
            entry.PreviousAttempts = [.. entry.PreviousAttempts, new JobAttempt
            {
                Number = entry.Attempt,
                StartedAt = entry.StartedAt ?? t.At,
                EndedAt = entry.EndedAt ?? t.At,
                Status = t.FromStatus,
                Error = entry.Error,
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

        Record(entry, JobEventKind.StatusChanged, t.FromStatus, t.ToStatus, version, t.At);
        Volatile.Write(ref entry.State, Pack(t.ToStatus, version, busy: false));

        if (_maxFinishedJobs is { } maxFinished && JobLifecycle.IsFinished(t.ToStatus))
        {
            KeepFinishedWithin(maxFinished, entry, Pack(t.ToStatus, version, busy: false));
        }

        if (t.FromStatus == JobStatus.Queued)
        {
            Interlocked.Decrement(ref _queuedCount);
        }

        if (enteringQueue)
        {
            Enqueue(entry, version);
        }
        else if (entry.ConcurrencyKey is { } key && JobLifecycle.IsActive(t.FromStatus) && !JobLifecycle.IsActive(t.ToStatus) && !keyHeld)
        {
            lock (_queueLock)
            {
                ReleaseKeyLocked(key);
            }
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
        Record(entry, JobEventKind.StatusChanged, JobStatus.Interrupted, JobStatus.Queued, queuedVersion, at);
        Volatile.Write(ref entry.State, Pack(JobStatus.Queued, queuedVersion, busy: false));

        lock (_queueLock)
        {
            if (from != JobStatus.Interrupted && entry.ConcurrencyKey is { } key)
            {
                ReleaseKeyLocked(key);
            }

            EnqueueLocked(entry, queuedVersion, keepPlace: true);
        }

        return true;
    }

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

    /// <summary>One job's log lines and rejects, numbered from 1 in the order appended.</summary>
    private sealed class Journal(Guid jobId)
    {
        private readonly Lock _lock = new();
        private readonly List<JobLogEntry> _log = [];
        private readonly List<JobReject> _rejects = [];

        public Guid JobId { get; } = jobId;

        public void Append(JobJournalEntry entry)
        {
            lock (_lock)
            {
                if (entry.Kind == JobJournalKind.Reject)
                {
                    _rejects.Add(new JobReject { Sequence = _rejects.Count + 1, At = entry.At, RecordNumber = entry.RecordNumber, RawRecord = entry.Text, Reason = entry.Reason ?? string.Empty });
                }
                else
                {
                    _log.Add(new JobLogEntry { Sequence = _log.Count + 1, At = entry.At, Level = entry.Level, Message = entry.Text });
                }
            }
        }

        public JournalPage<JobLogEntry> ReadLog(long after, int pageSize, Microsoft.Extensions.Logging.LogLevel minimumLevel)
        {
            lock (_lock)
            {
                var items = new List<JobLogEntry>(Math.Min(pageSize, Math.Max(0, _log.Count - (int)Math.Min(after, _log.Count))));
                var index = (int)Math.Min(after, _log.Count);
                for (; index < _log.Count && items.Count < pageSize; index++)
                {
                    if (_log[index].Level >= minimumLevel)
                    {
                        items.Add(_log[index]);
                    }
                }

                var more = items.Count == pageSize && HasMore(_log, index, minimumLevel);
                return new JournalPage<JobLogEntry> { Items = items, NextPageToken = more ? items[^1].Sequence.ToString(CultureInfo.InvariantCulture) : null };
            }
        }

        public JournalPage<JobReject> ReadRejects(long after, int pageSize)
        {
            lock (_lock)
            {
                var start = (int)Math.Min(after, _rejects.Count);
                var count = Math.Min(pageSize, _rejects.Count - start);
                var items = _rejects.GetRange(start, count);
                var more = start + count < _rejects.Count;
                return new JournalPage<JobReject> { Items = items, NextPageToken = more ? items[^1].Sequence.ToString(CultureInfo.InvariantCulture) : null };
            }
        }

        private static bool HasMore(List<JobLogEntry> log, int from, Microsoft.Extensions.Logging.LogLevel minimumLevel)
        {
            for (var i = from; i < log.Count; i++)
            {
                if (log[i].Level >= minimumLevel)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Orders entries oldest first: the reverse of a listing.</summary>
    private sealed class OldestFirst : IComparer<Entry>
    {
        public static readonly OldestFirst Instance = new();

        public int Compare(Entry? x, Entry? y) => JobPageToken.Compare(y!.CreatedAt, y.Id, x!.CreatedAt, x.Id);
    }

    private readonly record struct Ticket(Entry Entry, long Version, long Sequence);

    /// <summary>A checkpoint and the report stored with it, swapped whole.</summary>
    private sealed record SavedCheckpoint(string? Checkpoint, JobReport? Report);

    private sealed class Entry
    {
        public long State;
        public DateTimeOffset? StartedAt;
        public DateTimeOffset? EndedAt;
        public int Attempt;
        public JobAttempt[] PreviousAttempts = []; // replaced whole on a restart, never changed in place
        public string? Node;
        public JobClaim? Owner; // swapped whole, so a reader never sees half of it; snapshots share it
        public JobReport Report;
        public SavedCheckpoint? Saved;
        public JobError? Error;
        public long QueueSequence; // its place in the queue when it last entered it; read and written under the queue lock
        public string Parameters;
        public string DisplayName;

        private Entry(DateTimeOffset createdAt, Guid id)
        {
            Id = id;
            CreatedAt = createdAt;
            TypeName = DisplayName = Parameters = string.Empty;
            Report = JobReport.Empty;
        }

        public Entry(JobRecord job)
        {
            Id = job.Id;
            TypeName = job.TypeName;
            DisplayName = job.DisplayName;
            Parameters = job.Parameters;
            LaunchedBy = job.LaunchedBy;
            Priority = job.Priority;
            ConcurrencyKey = job.ConcurrencyKey;
            CreatedAt = job.CreatedAt;
            State = Pack(job.Status, job.Version, busy: false);
            StartedAt = job.StartedAt;
            EndedAt = job.EndedAt;
            Attempt = job.Attempt;
            Node = job.Node;
            Report = job.Progress == default && job.Steps.Count == 0 && job.WarningCount == 0
                ? JobReport.Empty
                : new JobReport { Progress = job.Progress, Steps = job.Steps, WarningCount = job.WarningCount };
            Saved = job.Checkpoint is null && job.CheckpointReport is null ? null : new SavedCheckpoint(job.Checkpoint, job.CheckpointReport);
            Error = job.Error;
        }

        public Guid Id { get; }

        /// <summary>A search key for the creation index.</summary>
        public static Entry Key(DateTimeOffset createdAt, Guid id) => new(createdAt, id);

        public string TypeName { get; }

        public string? LaunchedBy { get; }

        public int Priority { get; }

        public string? ConcurrencyKey { get; }

        public DateTimeOffset CreatedAt { get; }

        // A seqlock read: retry until the state word is idle and unchanged around the field reads.
        // Null for a job being purged, whose state word stays busy for good.
        public JobRecord? Snapshot()
        {
            var spin = default(SpinWait);
            while (true)
            {
                var state = Volatile.Read(ref State);
                if (state == PurgedState)
                {
                    return null;
                }

                if ((state & BusyBit) != 0)
                {
                    spin.SpinOnce();
                    continue;
                }

                var report = Report;
                var saved = Saved;
                var owner = Owner;
                var record = new JobRecord
                {
                    Id = Id,
                    TypeName = TypeName,
                    DisplayName = DisplayName,
                    Status = (JobStatus)(state & StatusMask),
                    Version = state >> VersionShift,
                    Parameters = Parameters,
                    LaunchedBy = LaunchedBy,
                    Priority = Priority,
                    ConcurrencyKey = ConcurrencyKey,
                    CreatedAt = CreatedAt,
                    StartedAt = StartedAt,
                    EndedAt = EndedAt,
                    Attempt = Attempt,
                    PreviousAttempts = PreviousAttempts,
                    Node = Node,
                    Claim = owner,
                    Progress = report.Progress,
                    Steps = report.Steps,
                    WarningCount = report.WarningCount,
                    Checkpoint = saved?.Checkpoint,
                    CheckpointReport = saved?.Report,
                    Error = Error,
                };

                // A full fence: the field reads above must not move past the re-check on weakly ordered processors.
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref State) == state)
                {
                    return record;
                }
            }
        }
    }
}
