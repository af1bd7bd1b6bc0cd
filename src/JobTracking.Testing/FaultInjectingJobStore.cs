using JobTracking.Storage;

namespace JobTracking.Testing;

/// <summary>
/// A store decorator that injects faults, for testing how a host behaves when its store fails: a share of calls failing
/// transiently, the store down, chosen calls failing for good, journal entries the store refuses, and delays. With
/// <see cref="Shared"/> set, an in-process store stands in for one that several processes share.
/// </summary>
/// <remarks>Faults are chosen with a seeded random source, so a failing test repeats. Settings may change while a host runs.</remarks>
public sealed class FaultInjectingJobStore : IJobStore, IJobJournalStore, IJobHistoryStore, IJobQueryStore, IJobFeedStore
{
    private readonly IJobStore _inner;
    private readonly IJobJournalStore _journal;
    private readonly IJobQueryStore _queries;
    private readonly IJobFeedStore _feed;
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private long _injected;
    private long _delayed;

    /// <summary>Wraps <paramref name="inner"/>, which must implement the four store contracts.</summary>
    /// <param name="inner">The store that does the work.</param>
    /// <param name="seed">The seed of the random source that picks the calls to fail.</param>
    /// <exception cref="ArgumentException"><paramref name="inner"/> does not implement <see cref="IJobJournalStore"/>, <see cref="IJobQueryStore"/> and <see cref="IJobFeedStore"/>.</exception>
    public FaultInjectingJobStore(IJobStore inner, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _journal = inner as IJobJournalStore ?? throw new ArgumentException("The inner store must implement IJobJournalStore.", nameof(inner));
        _queries = inner as IJobQueryStore ?? throw new ArgumentException("The inner store must implement IJobQueryStore.", nameof(inner));
        _feed = inner as IJobFeedStore ?? throw new ArgumentException("The inner store must implement IJobFeedStore.", nameof(inner));
        _random = new Random(seed);
    }

    /// <summary>Gets or sets the share of calls (0 to 1) that fail with a transient error before reaching the inner store.</summary>
    public double TransientFailureRate { get; set; }

    /// <summary>Gets or sets whether the store is down: every call fails with a transient error.</summary>
    public bool IsDown { get; set; }

    /// <summary>Gets or sets which calls fail for good (an error that is not transient), by name, such as <c>nameof(IJobStore.TryTransitionAsync)</c>.</summary>
    public Func<string, bool>? FailsPermanently { get; set; }

    /// <summary>Gets or sets which journal entries the store refuses for good, as a database refuses text it cannot hold: a batch holding one fails whole.</summary>
    public Func<JobJournalEntry, bool>? RefusesJournalEntry { get; set; }

    /// <summary>Gets or sets a pause added before calls (every call, or the share <see cref="DelayRate"/> picks), or <see langword="null"/> for none.</summary>
    public TimeSpan? Delay { get; set; }

    /// <summary>Gets or sets the share of calls (0 to 1) that wait <see cref="Delay"/>, for latency spikes. Default: 1, every call.</summary>
    public double DelayRate { get; set; } = 1;

    /// <summary>Gets or sets the clock <see cref="Delay"/> waits on. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider DelayClock { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets whether the store declares <see cref="JobStoreCapabilities.SharedAcrossProcesses"/>, so hosts treat it as shared.</summary>
    public bool Shared { get; set; }

    /// <summary>Gets how many faults were injected so far.</summary>
    public long InjectedFaults => Interlocked.Read(ref _injected);

    /// <summary>Gets how many calls waited <see cref="Delay"/> so far.</summary>
    public long DelayedCalls => Interlocked.Read(ref _delayed);

    /// <inheritdoc/>
    public JobStoreCapabilities Capabilities => Shared ? _inner.Capabilities | JobStoreCapabilities.SharedAcrossProcesses : _inner.Capabilities;

    /// <inheritdoc/>
    public bool IsTransient(Exception exception) =>
        exception is InjectedStoreFaultException injected ? injected.IsTransient : _inner.IsTransient(exception);

    /// <inheritdoc/>
    public async ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(CreateAsync), cancellationToken).ConfigureAwait(false);
        return await _inner.CreateAsync(job, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(CreateManyAsync), cancellationToken).ConfigureAwait(false);
        return await _inner.CreateManyAsync(jobs, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<DateTimeOffset?> GetNextRunAfterAsync(CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(GetNextRunAfterAsync), cancellationToken).ConfigureAwait(false);
        return await _inner.GetNextRunAfterAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(GetAsync), cancellationToken).ConfigureAwait(false);
        return await _inner.GetAsync(jobId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(TryTransitionAsync), cancellationToken).ConfigureAwait(false);
        return await _inner.TryTransitionAsync(transition, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(ClaimAsync), cancellationToken).ConfigureAwait(false);
        return await _inner.ClaimAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(RenewLeasesAsync), cancellationToken).ConfigureAwait(false);
        return await _inner.RenewLeasesAsync(renewal, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(ReclaimAsync), cancellationToken).ConfigureAwait(false);
        return await _inner.ReclaimAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(SaveProgressAsync), cancellationToken).ConfigureAwait(false);
        return await _inner.SaveProgressAsync(update, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(TryUpdateDraftAsync), cancellationToken).ConfigureAwait(false);
        return await _inner.TryUpdateDraftAsync(jobId, expectedVersion, parameters, displayName, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        await BeforeAsync(nameof(AppendJournalAsync), cancellationToken).ConfigureAwait(false);
        if (RefusesJournalEntry is { } refuses && entries.Any(refuses))
        {
            Interlocked.Increment(ref _injected);
            throw new InjectedStoreFaultException("The store refused a journal entry (injected).", isTransient: false);
        }

        return await _journal.AppendJournalAsync(entries, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The inner store keeps no history (does not implement <see cref="IJobHistoryStore"/>).</exception>
    public async ValueTask<JournalPage<JobHistoryRecord>> ReadHistoryAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        var history = _journal as IJobHistoryStore ?? throw new NotSupportedException("The inner store keeps no history: it does not implement IJobHistoryStore.");
        await BeforeAsync(nameof(ReadHistoryAsync), cancellationToken).ConfigureAwait(false);
        return await history.ReadHistoryAsync(jobId, query, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(ReadLogAsync), cancellationToken).ConfigureAwait(false);
        return await _journal.ReadLogAsync(jobId, query, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(ReadRejectsAsync), cancellationToken).ConfigureAwait(false);
        return await _journal.ReadRejectsAsync(jobId, query, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(QueryAsync), cancellationToken).ConfigureAwait(false);
        return await _queries.QueryAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(CountAsync), cancellationToken).ConfigureAwait(false);
        return await _queries.CountAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(PurgeAsync), cancellationToken).ConfigureAwait(false);
        return await _queries.PurgeAsync(endedBefore, maxCount, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default)
    {
        await BeforeAsync(nameof(ReadFeedAsync), cancellationToken).ConfigureAwait(false);
        return await _feed.ReadFeedAsync(afterSequence, buffer, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask WaitForChangesAsync(long afterSequence, CancellationToken cancellationToken = default) =>
        _feed.WaitForChangesAsync(afterSequence, cancellationToken); // waiting is not a call that fails: the read after it is

    private async ValueTask BeforeAsync(string call, CancellationToken cancellationToken)
    {
        if (Delay is { } delay && (DelayRate >= 1 || NextDouble() < DelayRate))
        {
            Interlocked.Increment(ref _delayed);
            await Task.Delay(delay, DelayClock, cancellationToken).ConfigureAwait(false);
        }

        if (FailsPermanently?.Invoke(call) == true)
        {
            Interlocked.Increment(ref _injected);
            throw new InjectedStoreFaultException($"{call} failed for good (injected).", isTransient: false);
        }

        if (IsDown || (TransientFailureRate > 0 && NextDouble() < TransientFailureRate))
        {
            Interlocked.Increment(ref _injected);
            throw new InjectedStoreFaultException($"{call} failed transiently (injected{(IsDown ? ": the store is down" : string.Empty)}).", isTransient: true);
        }
    }

    private double NextDouble()
    {
        lock (_randomLock)
        {
#pragma warning disable CA5394 // Fault injection, not security.
            return _random.NextDouble();
#pragma warning restore CA5394
        }
    }
}
