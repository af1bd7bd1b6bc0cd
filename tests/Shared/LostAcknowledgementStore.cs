using JobTracking.Storage;

namespace JobTracking.TestSupport;

/// <summary>The writes of a store whose answer <see cref="LostAcknowledgementStore"/> may lose.</summary>
[Flags]
public enum StoreWrites
{
    None = 0,

    /// <summary><see cref="IJobStore.CreateAsync"/>: a start or a draft.</summary>
    Create = 1,

    /// <summary><see cref="IJobStore.CreateManyAsync"/>: a bulk start.</summary>
    CreateMany = 2,

    /// <summary><see cref="IJobStore.TryTransitionAsync"/> without a claim: submit, pause, resume, cancel, restart.</summary>
    Command = 4,

    /// <summary><see cref="IJobStore.TryUpdateDraftAsync"/>.</summary>
    DraftEdit = 8,

    /// <summary>The writes a caller of <c>IJobRunner</c> waits for.</summary>
    CallerWrites = Create | CreateMany | Command | DraftEdit,
}

/// <summary>
/// A store decorator as an application would write one, over the public store contracts: every call goes to the store
/// underneath, and some writes, once that store has applied them, answer with a transient error instead of their result,
/// as when the connection drops after the commit (a lost acknowledgement). Which writes: the next few of a kind
/// (<see cref="LoseNext"/>), or a share of them at random (<see cref="LoseAtRandom"/>).
/// </summary>
public sealed class LostAcknowledgementStore(IJobStore inner, int seed = 1) : DecoratingStore(inner)
{
    private readonly Lock _lock = new();
    private readonly Random _random = new(seed);
    private readonly Dictionary<StoreWrites, int> _next = [];
    private StoreWrites _atRandom;
    private double _rate;
    private int _lost;

    /// <summary>Gets or sets what happens between a write being applied and its answer being lost (the world moves on meanwhile); nothing when <see langword="null"/>.</summary>
    public Func<Task>? BeforeLosing { get; set; }

    /// <summary>Gets how many answers were lost so far.</summary>
    public int Lost => Volatile.Read(ref _lost);

    /// <summary>Loses the answer of the next <paramref name="count"/> writes of <paramref name="kind"/> (each after it was applied).</summary>
    public void LoseNext(StoreWrites kind, int count = 1)
    {
        lock (_lock)
        {
            _next[kind] = count;
        }
    }

    /// <summary>Loses the answer of a share <paramref name="rate"/> of the writes of <paramref name="kinds"/>, at random.</summary>
    public void LoseAtRandom(StoreWrites kinds, double rate)
    {
        lock (_lock)
        {
            (_atRandom, _rate) = (kinds, rate);
        }
    }

    /// <summary>Stops losing answers.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _next.Clear();
            _atRandom = StoreWrites.None;
        }
    }

    public override bool IsTransient(Exception exception) => exception is AcknowledgementLostException || base.IsTransient(exception);

    public override async ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        var id = await base.CreateAsync(job, cancellationToken);
        await AnswerAsync(StoreWrites.Create);
        return id;
    }

    public override async ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        var ids = await base.CreateManyAsync(jobs, cancellationToken);
        await AnswerAsync(StoreWrites.CreateMany);
        return ids;
    }

    public override async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        var applied = await base.TryTransitionAsync(transition, cancellationToken);
        if (transition.ClaimId is null)
        {
            await AnswerAsync(StoreWrites.Command, applied);
        }

        return applied;
    }

    public override async ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default)
    {
        var updated = await base.TryUpdateDraftAsync(jobId, expectedVersion, parameters, displayName, cancellationToken);
        await AnswerAsync(StoreWrites.DraftEdit, updated);
        return updated;
    }

    // The write is applied: its answer reaches the caller, or is lost. Only a write that changed something loses its
    // answer when chosen by count, so "the next cancel" is the cancel that was stored.
    private async ValueTask AnswerAsync(StoreWrites kind, bool applied = true)
    {
        bool lose;
        lock (_lock)
        {
            if (applied && _next.TryGetValue(kind, out var left) && left > 0)
            {
                _next[kind] = left - 1;
                lose = true;
            }
            else
            {
                lose = (_atRandom & kind) != 0 && _random.NextDouble() < _rate;
            }
        }

        if (lose)
        {
            if (BeforeLosing is { } before)
            {
                await before();
            }

            Interlocked.Increment(ref _lost);
            throw new AcknowledgementLostException(kind);
        }
    }
}

/// <summary>The transient error of a write that was applied but whose answer was lost.</summary>
public sealed class AcknowledgementLostException(StoreWrites kind)
    : IOException($"The connection to the store was lost before it answered a {kind} (the write was applied).");

/// <summary>Hands every call of the four store contracts to the store underneath; a decorator overrides what it changes.</summary>
public abstract class DecoratingStore(IJobStore inner) : IJobStore, IJobJournalStore, IJobQueryStore, IJobFeedStore
{
    private readonly IJobJournalStore _journal = (IJobJournalStore)inner;
    private readonly IJobQueryStore _queries = (IJobQueryStore)inner;
    private readonly IJobFeedStore _feed = (IJobFeedStore)inner;

    /// <summary>Gets the store underneath.</summary>
    public IJobStore Inner { get; } = inner;

    public virtual JobStoreCapabilities Capabilities => Inner.Capabilities;

    public virtual bool IsTransient(Exception exception) => Inner.IsTransient(exception);

    public virtual ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default) => Inner.CreateAsync(job, cancellationToken);

    public virtual ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default) => Inner.CreateManyAsync(jobs, cancellationToken);

    public virtual ValueTask<DateTimeOffset?> GetNextRunAfterAsync(CancellationToken cancellationToken = default) => Inner.GetNextRunAfterAsync(cancellationToken);

    public virtual ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default) => Inner.GetAsync(jobId, cancellationToken);

    public virtual ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) =>
        Inner.TryTransitionAsync(transition, cancellationToken);

    public virtual ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default) =>
        Inner.ClaimAsync(request, cancellationToken);

    public virtual ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default) =>
        Inner.RenewLeasesAsync(renewal, cancellationToken);

    public virtual ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default) =>
        Inner.ReclaimAsync(request, cancellationToken);

    public virtual ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default) =>
        Inner.SaveProgressAsync(update, cancellationToken);

    public virtual ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default) =>
        Inner.TryUpdateDraftAsync(jobId, expectedVersion, parameters, displayName, cancellationToken);

    public virtual ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default) =>
        _journal.AppendJournalAsync(entries, cancellationToken);

    public virtual ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) =>
        _journal.ReadLogAsync(jobId, query, cancellationToken);

    public virtual ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) =>
        _journal.ReadRejectsAsync(jobId, query, cancellationToken);

    public virtual ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default) => _queries.QueryAsync(query, cancellationToken);

    public virtual ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default) => _queries.CountAsync(cancellationToken);

    public virtual ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default) =>
        _queries.PurgeAsync(endedBefore, maxCount, cancellationToken);

    public virtual ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default) =>
        _feed.ReadFeedAsync(afterSequence, buffer, cancellationToken);

    public virtual ValueTask WaitForChangesAsync(long afterSequence, CancellationToken cancellationToken = default) =>
        _feed.WaitForChangesAsync(afterSequence, cancellationToken);
}
