using JobTracking.Storage;

namespace JobTracking.PostgreSql;

/// <summary>The recurring schedules, in the schema's job_schedules table.</summary>
public sealed partial class PostgreSqlJobStore
{
    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<JobScheduleRecord>> GetSchedulesAsync(CancellationToken cancellationToken = default)
    {
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _schedules.GetAllAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JobScheduleRecord?> GetScheduleAsync(string scheduleId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scheduleId);
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _schedules.GetAsync(scheduleId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>One statement: an insert that does nothing when the id exists (version 1), or an update of the row that has the version before.</remarks>
    public async ValueTask<bool> TrySaveScheduleAsync(JobScheduleRecord schedule, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckSchedule(schedule);
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _schedules.TrySaveAsync(schedule, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> TryDeleteScheduleAsync(string scheduleId, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scheduleId);
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _schedules.TryDeleteAsync(scheduleId, expectedVersion, cancellationToken).ConfigureAwait(false);
    }
}
