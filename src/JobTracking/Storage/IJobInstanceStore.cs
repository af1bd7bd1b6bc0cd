namespace JobTracking.Storage;

/// <summary>Where the live instances sharing the store are listed: an optional narrow contract. A store that implements it on the same object as <see cref="IJobStore"/> lets every instance see the others (the dashboard's Instances page, <see cref="IJobTracker.GetInstancesAsync"/>); without it, the engine sends no heartbeats and says the list is unavailable.</summary>
/// <remarks>
/// <para>Each instance records a heartbeat every half lease duration and when its count of running jobs changes (an
/// upsert of one row per instance id), forgets itself when it stops cleanly, and once per lease duration forgets the
/// instances silent for longer than a bound. Times are the store's: the
/// heartbeat's time and "silent for" are judged by the same clock that judges leases (the database's on a server, the
/// store's <see cref="TimeProvider"/> in process), never by the caller's.</para>
/// <para>The rules of <see cref="IJobStore"/> on thread-safety, read-your-writes, time (to the microsecond) and text (exact round-trip) apply.</para>
/// </remarks>
public interface IJobInstanceStore
{
    /// <summary>Records an instance's heartbeat in one atomic upsert: the first one of an id stores it with <see cref="JobInstanceRecord.StartedAt"/> and <see cref="JobInstanceRecord.HeartbeatAt"/> both the store's now; a later one replaces every other field, sets <see cref="JobInstanceRecord.HeartbeatAt"/> to the store's now and keeps <see cref="JobInstanceRecord.StartedAt"/>.</summary>
    /// <param name="heartbeat">What the instance says of itself.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes once the heartbeat is stored.</returns>
    /// <exception cref="ArgumentException">The heartbeat is invalid (<see cref="JobStoreArguments.CheckHeartbeat"/>).</exception>
    ValueTask RecordHeartbeatAsync(JobInstanceHeartbeat heartbeat, CancellationToken cancellationToken = default);

    /// <summary>Reads every instance the store holds, ordered by instance id (ordinal), with the store's now at the read.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The instances and the store's clock; no instance when none has sent a heartbeat.</returns>
    ValueTask<JobInstanceList> GetInstancesAsync(CancellationToken cancellationToken = default);

    /// <summary>Forgets one instance (as it stops cleanly).</summary>
    /// <param name="instanceId">The instance's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when it was held; <see langword="false"/> when no instance has that id.</returns>
    ValueTask<bool> RemoveInstanceAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>Forgets, in one set-based step, every instance whose last heartbeat is strictly older than the store's now minus <paramref name="silentFor"/>; one silent for exactly that long is kept.</summary>
    /// <param name="silentFor">How long an instance may be silent and still be kept, more than zero.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many instances were forgotten.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="silentFor"/> is zero or less.</exception>
    ValueTask<int> PurgeInstancesAsync(TimeSpan silentFor, CancellationToken cancellationToken = default);
}
