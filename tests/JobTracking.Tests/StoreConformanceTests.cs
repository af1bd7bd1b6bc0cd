using System.Collections.Concurrent;
using JobTracking.Testing;

namespace JobTracking.Tests;

/// <summary>The default store against the store contract.</summary>
public sealed class InMemoryJobStoreConformanceTests : JobStoreConformanceTests
{
    protected override ValueTask<IJobStore> CreateStoreAsync(TimeProvider clock) => ValueTask.FromResult<IJobStore>(TestHost.CreateMemoryStore(time: clock));
}

/// <summary>The in-memory store behind the fault-injecting decorator declared shared: the kit's stand-in for two processes on one database.</summary>
public sealed class SharedInMemoryJobStoreConformanceTests : JobStoreConformanceTests
{
    protected override ValueTask<IJobStore> CreateStoreAsync(TimeProvider clock) =>
        ValueTask.FromResult<IJobStore>(new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: clock)) { Shared = true });

    protected override ValueTask<IJobStore?> CreateSecondInstanceAsync(IJobStore first, TimeProvider clock) =>
        ValueTask.FromResult<IJobStore?>(new FaultInjectingJobStore((FaultInjectingJobStore)first) { Shared = true });
}

/// <summary>A custom store (one that wraps another and counts calls, as docs/custom-stores.md builds) against the store contract.</summary>
public sealed class CountingJobStoreConformanceTests : JobStoreConformanceTests
{
    protected override ValueTask<IJobStore> CreateStoreAsync(TimeProvider clock) => ValueTask.FromResult<IJobStore>(new CountingJobStore(TestHost.CreateMemoryStore(time: clock)));

    [Fact]
    public async Task CountingStore_PluggedIntoAHost_SeesTheEngineCalls()
    {
        var store = new CountingJobStore(TestHost.CreateMemoryStore());
        await using var host = await TestHost.Create(store: store).StartAsync();

        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        await host.WaitAsync(id, JobStatus.Completed);

        store.Calls[nameof(IJobStore.CreateAsync)].Should().Be(1);
        store.Calls[nameof(IJobStore.ClaimAsync)].Should().BeGreaterThanOrEqualTo(1);
        store.Calls[nameof(IJobStore.TryTransitionAsync)].Should().BeGreaterThanOrEqualTo(1);
    }
}

/// <summary>A decorator store: every call is counted, then handed to the inner store.</summary>
public sealed class CountingJobStore(InMemoryJobStore inner, bool shared = false) : IJobStore, IJobJournalStore, IJobHistoryStore, IJobQueryStore, IJobFeedStore, IJobInstanceStore
{
    /// <summary>Gets or sets whether heartbeats fail (as a store that does not answer them would).</summary>
    public bool FailsHeartbeats { get; set; }

    /// <summary>Gets or sets what is called after each transition the inner store applied, before the call returns.</summary>
    public Action<JobTransition>? Transitioned { get; set; }

    public ConcurrentDictionary<string, int> Calls { get; } = new();

    /// <summary>Gets the claims and transitions in the order the inner store answered them: "claimed {id}", "{status} {id}".</summary>
    public ConcurrentQueue<string> Trail { get; } = new();

    public JobStoreCapabilities Capabilities => shared ? JobStoreCapabilities.SharedAcrossProcesses : inner.Capabilities;

    public bool IsTransient(Exception exception) => inner.IsTransient(exception);

    public ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default) => Count(inner.CreateAsync(job, cancellationToken));

    public ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default) => Count(inner.CreateManyAsync(jobs, cancellationToken));

    public ValueTask<DateTimeOffset?> GetNextRunAfterAsync(CancellationToken cancellationToken = default) => Count(inner.GetNextRunAfterAsync(cancellationToken));

    public ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default) => Count(inner.GetAsync(jobId, cancellationToken));

    public async ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default)
    {
        var applied = await Count(inner.TryTransitionAsync(transition, cancellationToken));
        if (applied)
        {
            Trail.Enqueue($"{transition.ToStatus} {transition.JobId}");
            Transitioned?.Invoke(transition);
        }

        return applied;
    }

    public async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        var claimed = await Count(inner.ClaimAsync(request, cancellationToken));
        foreach (var job in claimed)
        {
            Trail.Enqueue($"claimed {job.Id}");
        }

        return claimed;
    }

    public ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default) => Count(inner.RenewLeasesAsync(renewal, cancellationToken));

    public ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default) => Count(inner.ReclaimAsync(request, cancellationToken));

    public ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default) => Count(inner.SaveProgressAsync(update, cancellationToken));

    public ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default) =>
        Count(inner.TryUpdateDraftAsync(jobId, expectedVersion, parameters, displayName, cancellationToken));

    public ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default) => Count(inner.QueryAsync(query, cancellationToken));

    public ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default) => Count(inner.CountAsync(cancellationToken));

    public ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default) => Count(inner.AppendJournalAsync(entries, cancellationToken));

    public ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) => Count(inner.ReadLogAsync(jobId, query, cancellationToken));

    public ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) => Count(inner.ReadRejectsAsync(jobId, query, cancellationToken));

    public ValueTask<JournalPage<JobHistoryRecord>> ReadHistoryAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) => Count(inner.ReadHistoryAsync(jobId, query, cancellationToken));

    public ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default) => Count(inner.PurgeAsync(endedBefore, maxCount, cancellationToken));

    public ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default) => Count(inner.ReadFeedAsync(afterSequence, buffer, cancellationToken));

    public ValueTask WaitForChangesAsync(long afterSequence, CancellationToken cancellationToken = default) => inner.WaitForChangesAsync(afterSequence, cancellationToken);

    public ValueTask RecordHeartbeatAsync(JobInstanceHeartbeat heartbeat, CancellationToken cancellationToken = default) =>
        FailsHeartbeats ? throw new StoreUnreachableException(nameof(RecordHeartbeatAsync)) : Count(inner.RecordHeartbeatAsync(heartbeat, cancellationToken));

    public ValueTask<JobInstanceList> GetInstancesAsync(CancellationToken cancellationToken = default) => Count(inner.GetInstancesAsync(cancellationToken));

    public ValueTask<bool> RemoveInstanceAsync(string instanceId, CancellationToken cancellationToken = default) => Count(inner.RemoveInstanceAsync(instanceId, cancellationToken));

    public ValueTask<int> PurgeInstancesAsync(TimeSpan silentFor, CancellationToken cancellationToken = default) => Count(inner.PurgeInstancesAsync(silentFor, cancellationToken));

    private T Count<T>(T result, [System.Runtime.CompilerServices.CallerMemberName] string method = "")
    {
        Calls.AddOrUpdate(method, 1, (_, n) => n + 1);
        return result;
    }
}
