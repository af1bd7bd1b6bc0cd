namespace JobTracking.Storage;

/// <summary>Where recurring schedules live: a fifth, optional store contract. A store that implements it on the same object as <see cref="IJobStore"/> keeps schedules; without it, schedules are unavailable and the engine says so.</summary>
/// <remarks>
/// <para>The store keeps each <see cref="JobScheduleRecord"/> as given and changes it only by compare-and-set on <see cref="JobScheduleRecord.Version"/>,
/// so of two instances saving one schedule at once exactly one wins. The engine does the rest: it computes occurrences, and starts each
/// occurrence's job with an idempotency key made of the schedule's id and the occurrence's time, so the job store's key rule makes
/// every occurrence start exactly one job across all instances, even when several fire it at once or one dies mid-fire.</para>
/// <para>The rules of <see cref="IJobStore"/> on thread-safety, read-your-writes, time (to the microsecond) and text (exact round-trip) apply.</para>
/// </remarks>
public interface IJobScheduleStore
{
    /// <summary>Reads every schedule, ordered by id (ordinal).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The schedules; empty when there are none.</returns>
    ValueTask<IReadOnlyList<JobScheduleRecord>> GetSchedulesAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads one schedule.</summary>
    /// <param name="scheduleId">The schedule's id (ordinal, case-sensitive).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The schedule, or <see langword="null"/> when the store does not hold it.</returns>
    ValueTask<JobScheduleRecord?> GetScheduleAsync(string scheduleId, CancellationToken cancellationToken = default);

    /// <summary>Stores a schedule if the store holds it at the version before <paramref name="schedule"/>'s: with <see cref="JobScheduleRecord.Version"/> 1, only when no schedule has its id (a create); with version <c>n</c>, only when the stored one has version <c>n − 1</c> (an update, replacing every field).</summary>
    /// <param name="schedule">The schedule as it is to be stored.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when stored; <see langword="false"/> when the schedule exists (a create), or is missing or has another version (an update).</returns>
    /// <exception cref="ArgumentException">The schedule is invalid (<see cref="JobStoreArguments.CheckSchedule"/>).</exception>
    ValueTask<bool> TrySaveScheduleAsync(JobScheduleRecord schedule, CancellationToken cancellationToken = default);

    /// <summary>Deletes a schedule if it still has <paramref name="expectedVersion"/>. The jobs it started are kept.</summary>
    /// <param name="scheduleId">The schedule's id.</param>
    /// <param name="expectedVersion">The version it must still have.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when deleted; <see langword="false"/> when it is missing or has another version.</returns>
    ValueTask<bool> TryDeleteScheduleAsync(string scheduleId, long expectedVersion, CancellationToken cancellationToken = default);
}
