using System.Collections.Concurrent;

namespace JobTracking.Testing.Tests;

/// <summary>
/// A store whose versions drift from the real store's: the broken stores that raise a version when they should not,
/// or fail to raise it when they should, record the drift per job, and every read and compare-and-set translates it.
/// </summary>
internal abstract class VersionSkewingStore(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    // The real version minus the version this store shows, per job.
    private readonly ConcurrentDictionary<Guid, long> _lag = new();

    public override ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) =>
        base.TryTransitionAsync(transition with { ExpectedVersion = transition.ExpectedVersion + LagOf(transition.JobId) }, cancellationToken);

    public override ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default) =>
        base.TryUpdateDraftAsync(jobId, expectedVersion + LagOf(jobId), parameters, displayName, cancellationToken);

    protected override JobRecord Present(JobRecord job) => LagOf(job.Id) is var lag and not 0 ? job with { Version = job.Version - lag } : job;

    /// <summary>Records that the shown version of a job falls <paramref name="by"/> behind the real one (ahead when negative).</summary>
    protected void Lag(Guid jobId, long by) => _lag.AddOrUpdate(jobId, by, (_, lag) => lag + by);

    private long LagOf(Guid jobId) => _lag.GetValueOrDefault(jobId);
}
