using JobTracking.Running;
using JobTracking.Storage;

namespace JobTracking.Schedules;

/// <summary>The store's schedules, read and written with the engine's retry of transient errors, and the wake-up of this instance's schedule loop when they change here.</summary>
internal sealed class ScheduleStore
{
    private readonly JobEngine _engine;
    private readonly IJobScheduleStore? _store;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScheduleStore(JobEngine engine)
    {
        _engine = engine;
        _store = engine.Store as IJobScheduleStore;
    }

    /// <summary>Gets whether the store keeps schedules.</summary>
    public bool IsAvailable => _store is not null;

    private IJobScheduleStore Store => _store ?? throw new JobTrackingException(
        $"The job store {_engine.Store.GetType().FullName} keeps no schedules: it does not implement IJobScheduleStore. Use a store that does " +
        "(the in-memory, SQLite and PostgreSQL stores do), or implement it on your store (see docs/custom-stores.md in the JobTracking repository).");

    /// <summary>Gets a task that completes at the next <see cref="Changed"/>.</summary>
    public Task NextChange => Volatile.Read(ref _changed).Task;

    /// <summary>Tells this instance's loop that a schedule changed, so it looks now rather than at its next poll.</summary>
    public void Changed() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public void ThrowIfUnavailable() => _ = Store;

    public ValueTask<IReadOnlyList<JobScheduleRecord>> ListAsync(CancellationToken cancellationToken) =>
        _engine.Retry.RunAsync(Store, static (s, ct) => s.GetSchedulesAsync(ct), cancellationToken);

    public ValueTask<JobScheduleRecord?> GetAsync(string scheduleId, CancellationToken cancellationToken) =>
        _engine.Retry.RunAsync((Store, scheduleId), static (s, ct) => s.Store.GetScheduleAsync(s.scheduleId, ct), cancellationToken);

    // A save whose answer was lost and is sent again is refused (the version moved on); every caller then reads the schedule again and finds its own write.
    public ValueTask<bool> TrySaveAsync(JobScheduleRecord schedule, CancellationToken cancellationToken) =>
        _engine.Retry.RunAsync((Store, schedule), static (s, ct) => s.Store.TrySaveScheduleAsync(s.schedule, ct), cancellationToken);

    public ValueTask<bool> TryDeleteAsync(string scheduleId, long expectedVersion, CancellationToken cancellationToken) =>
        _engine.Retry.RunAsync((Store, scheduleId, expectedVersion), static (s, ct) => s.Store.TryDeleteScheduleAsync(s.scheduleId, s.expectedVersion, ct), cancellationToken);
}
