namespace JobTracking.Testing.Tests;

/// <summary>
/// A store that hands every call of the four contracts to a real <see cref="InMemoryJobStore"/>. Each broken store
/// derives from it and overrides the members whose rule it breaks; left as it is, it passes the kit.
/// </summary>
internal abstract class DelegatingStore(InMemoryJobStore inner, TimeProvider clock) : IJobStore, IJobJournalStore, IJobHistoryStore, IJobQueryStore, IJobFeedStore
{
    /// <summary>Gets the real store underneath.</summary>
    protected InMemoryJobStore Inner { get; } = inner;

    /// <summary>Gets the store's clock, the one the kit moves.</summary>
    protected TimeProvider Clock { get; } = clock;

    public virtual JobStoreCapabilities Capabilities => Inner.Capabilities;

    public virtual bool IsTransient(Exception exception) => Inner.IsTransient(exception);

    public virtual ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default) => Inner.CreateAsync(job, cancellationToken);

    public virtual ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default) => Inner.CreateManyAsync(jobs, cancellationToken);

    public virtual ValueTask<DateTimeOffset?> GetNextRunAfterAsync(CancellationToken cancellationToken = default) => Inner.GetNextRunAfterAsync(cancellationToken);

    public virtual async ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        await Inner.GetAsync(jobId, cancellationToken) is { } job ? Present(job) : null;

    public virtual ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) =>
        Inner.TryTransitionAsync(transition, cancellationToken);

    public virtual async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default) =>
        [.. (await Inner.ClaimAsync(request, cancellationToken)).Select(Present)];

    public virtual ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default) =>
        Inner.RenewLeasesAsync(renewal, cancellationToken);

    public virtual async ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default) =>
        [.. (await Inner.ReclaimAsync(request, cancellationToken)).Select(r => new JobReclaimed { Job = Present(r.Job), PreviousStatus = r.PreviousStatus, PreviousInstanceId = r.PreviousInstanceId })];

    public virtual ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default) =>
        Inner.SaveProgressAsync(update, cancellationToken);

    public virtual ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default) =>
        Inner.TryUpdateDraftAsync(jobId, expectedVersion, parameters, displayName, cancellationToken);

    public virtual ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default) =>
        Inner.AppendJournalAsync(entries, cancellationToken);

    public virtual ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) =>
        Inner.ReadLogAsync(jobId, query, cancellationToken);

    public virtual ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) =>
        Inner.ReadRejectsAsync(jobId, query, cancellationToken);

    public virtual ValueTask<JournalPage<JobHistoryRecord>> ReadHistoryAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) =>
        Inner.ReadHistoryAsync(jobId, query, cancellationToken);

    public virtual async ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        var page = await Inner.QueryAsync(query, cancellationToken);
        return page.WithItems([.. page.Items.Select(Present)]);
    }

    public virtual ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default) => Inner.CountAsync(cancellationToken);

    public virtual ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default) =>
        Inner.PurgeAsync(endedBefore, maxCount, cancellationToken);

    public virtual ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default) =>
        Inner.ReadFeedAsync(afterSequence, buffer, cancellationToken);

    public virtual ValueTask WaitForChangesAsync(long afterSequence, CancellationToken cancellationToken = default) =>
        Inner.WaitForChangesAsync(afterSequence, cancellationToken);

    /// <summary>
    /// Turns a record of the real store into the one this store hands back: every read (get, claim, query, reclaim)
    /// goes through it. A broken store that keeps a field wrongly overrides it to show what it would have stored.
    /// </summary>
    protected virtual JobRecord Present(JobRecord job) => job;

    /// <summary>Reads a job from the real store, as it is there.</summary>
    protected ValueTask<JobRecord?> ReadInnerAsync(Guid jobId) => Inner.GetAsync(jobId);
}
