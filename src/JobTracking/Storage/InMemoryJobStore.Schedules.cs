namespace JobTracking.Storage;

/// <summary>The schedules (<see cref="IJobScheduleStore"/>): each kept as given, changed only by compare-and-set on its version.</summary>
public sealed partial class InMemoryJobStore
{
    private readonly Lock _schedulesLock = new();
    private readonly SortedDictionary<string, JobScheduleRecord> _schedules = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<JobScheduleRecord>> GetSchedulesAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_schedulesLock)
        {
            return new([.. _schedules.Values]);
        }
    }

    /// <inheritdoc/>
    public ValueTask<JobScheduleRecord?> GetScheduleAsync(string scheduleId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scheduleId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_schedulesLock)
        {
            return new(_schedules.GetValueOrDefault(scheduleId));
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> TrySaveScheduleAsync(JobScheduleRecord schedule, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckSchedule(schedule);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_schedulesLock)
        {
            var held = _schedules.GetValueOrDefault(schedule.Id);
            if (schedule.Version == 1 ? held is not null : held?.Version != schedule.Version - 1)
            {
                return new(false);
            }

            // Records are immutable, so the caller's instance is stored as it is.
            _schedules[schedule.Id] = schedule;
            return new(true);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> TryDeleteScheduleAsync(string scheduleId, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scheduleId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_schedulesLock)
        {
            return new(_schedules.TryGetValue(scheduleId, out var held) && held.Version == expectedVersion && _schedules.Remove(scheduleId));
        }
    }
}
