using System.Collections.Concurrent;
using JobTracking.Storage;

namespace JobTracking.Tests;

/// <summary>Thrown by <see cref="InterceptingStore"/> for a call that did not reach the store (the network to it is down).</summary>
public sealed class StoreUnreachableException(string call) : Exception($"The store did not answer {call}.");

/// <summary>
/// A decorator an application could write around its store: each call of the four contracts first asks
/// <see cref="Fault"/>, which may make it fail as if the store did not answer; the writes that reach the store are
/// recorded. Several hosts may each wrap one shared <see cref="InMemoryJobStore"/> in their own.
/// </summary>
public sealed class InterceptingStore(InMemoryJobStore inner) : DecoratingStore(inner)
{
    /// <summary>Gets or sets what fails: called with the member's name and its argument; an exception it returns is thrown instead of calling the store.</summary>
    public Func<string, object?, Exception?>? Fault { get; set; }

    /// <summary>Gets or sets which transitions the store refuses (answers <see langword="false"/>) without looking at the job, as a store that cannot compare a row would.</summary>
    public Func<JobTransition, bool>? Refuses { get; set; }

    /// <summary>Gets or sets whether every call fails as if the store did not answer.</summary>
    public bool CutOff { get; set; }

    /// <summary>Gets or sets what holds a write back before it reaches the store: a task it waits for, or <see langword="null"/> to go on at once.</summary>
    public Func<string, object?, Task?>? Delay { get; set; }

    /// <summary>Gets or sets whether the store says that other processes share it.</summary>
    public bool Shared { get; set; } = true;

    private int _claimed;

    /// <summary>Gets the writes that reached the store, in order: the member's name and its argument.</summary>
    public ConcurrentQueue<(string Call, object Argument)> Writes { get; } = new();

    public override JobStoreCapabilities Capabilities => Shared ? base.Capabilities | JobStoreCapabilities.SharedAcrossProcesses : base.Capabilities;

    public override bool IsTransient(Exception exception) => exception is StoreUnreachableException || base.IsTransient(exception);

    public override ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        Write(nameof(CreateAsync), job);
        return base.CreateAsync(job, cancellationToken);
    }

    public override ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        Write(nameof(CreateManyAsync), jobs);
        return base.CreateManyAsync(jobs, cancellationToken);
    }

    public override ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        Before(nameof(GetAsync), jobId);
        return base.GetAsync(jobId, cancellationToken);
    }

    public override ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        Write(nameof(TryTransitionAsync), transition);
        if (Delay?.Invoke(nameof(TryTransitionAsync), transition) is { } delay)
        {
            return DelayedAsync(delay, transition, cancellationToken);
        }

        return Refuses?.Invoke(transition) == true ? new ValueTask<bool>(false) : base.TryTransitionAsync(transition, cancellationToken);
    }

    private async ValueTask<bool> DelayedAsync(Task delay, JobTransition transition, CancellationToken cancellationToken)
    {
        await delay.ConfigureAwait(false);
        return await base.TryTransitionAsync(transition, cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        Write(nameof(ClaimAsync), request);
        return Delay?.Invoke(nameof(ClaimAsync), request) is { } delay ? DelayedClaimAsync(delay, request, cancellationToken) : base.ClaimAsync(request, cancellationToken);
    }

    private async ValueTask<IReadOnlyList<JobRecord>> DelayedClaimAsync(Task delay, JobClaimRequest request, CancellationToken cancellationToken)
    {
        await delay.ConfigureAwait(false);
        var claimed = await base.ClaimAsync(request, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _claimed, claimed.Count);
        return claimed;
    }

    /// <summary>Gets how many jobs claims held back by <see cref="Delay"/> have granted.</summary>
    public int DelayedClaims => Volatile.Read(ref _claimed);

    public override ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default)
    {
        Write(nameof(RenewLeasesAsync), renewal);
        return base.RenewLeasesAsync(renewal, cancellationToken);
    }

    public override ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default)
    {
        Write(nameof(ReclaimAsync), request);
        return base.ReclaimAsync(request, cancellationToken);
    }

    public override ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default)
    {
        Write(nameof(SaveProgressAsync), update);
        return base.SaveProgressAsync(update, cancellationToken);
    }

    public override ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default)
    {
        Write(nameof(TryUpdateDraftAsync), jobId);
        return base.TryUpdateDraftAsync(jobId, expectedVersion, parameters, displayName, cancellationToken);
    }

    public override ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default)
    {
        Write(nameof(AppendJournalAsync), entries);
        return base.AppendJournalAsync(entries, cancellationToken);
    }

    public override ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        Before(nameof(QueryAsync), query);
        return base.QueryAsync(query, cancellationToken);
    }

    public override ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default)
    {
        Before(nameof(CountAsync), null);
        return base.CountAsync(cancellationToken);
    }

    public override ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        Write(nameof(PurgeAsync), endedBefore);
        return base.PurgeAsync(endedBefore, maxCount, cancellationToken);
    }

    public override ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default)
    {
        Before(nameof(ReadFeedAsync), afterSequence);
        return base.ReadFeedAsync(afterSequence, buffer, cancellationToken);
    }

    private void Write(string call, object argument)
    {
        Before(call, argument);
        Writes.Enqueue((call, argument));
    }

    private void Before(string call, object? argument)
    {
        if (CutOff)
        {
            throw new StoreUnreachableException(call);
        }

        if (Fault?.Invoke(call, argument) is { } fault)
        {
            throw fault;
        }
    }
}
