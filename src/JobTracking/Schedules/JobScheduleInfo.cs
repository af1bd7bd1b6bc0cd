namespace JobTracking;

/// <summary>A schedule as <see cref="IJobSchedules"/> reads it: its definition, where it has got to, and the status of its last job.</summary>
public sealed record JobScheduleInfo
{
    /// <summary>Gets the schedule as stored: id, job type, parameters, cron expression, time zone, options, paused or not, last and next occurrence, last job.</summary>
    public required JobScheduleRecord Schedule { get; init; }

    /// <summary>Gets the status of the schedule's last job; <see langword="null"/> when it has started none, or the job is no longer kept.</summary>
    public JobStatus? LastJobStatus { get; init; }

    /// <summary>Gets the schedule's id.</summary>
    public string Id => Schedule.Id;

    /// <summary>Gets the next occurrence the schedule will deal with, in UTC; <see langword="null"/> when the expression has no more. While the schedule is paused, the occurrence it waits at (missed ones follow <see cref="JobScheduleRecord.Misfire"/> when it resumes).</summary>
    public DateTimeOffset? NextOccurrence => Schedule.NextOccurrence;

    /// <summary>Gets the last occurrence the schedule dealt with (started a job for, or skipped), in UTC; <see langword="null"/> before the first.</summary>
    public DateTimeOffset? LastOccurrence => Schedule.LastOccurrence;

    /// <summary>Gets the id of the last job the schedule started (by an occurrence or a trigger); <see langword="null"/> before the first.</summary>
    public Guid? LastJobId => Schedule.LastJobId;

    /// <summary>Gets whether the schedule is paused.</summary>
    public bool IsPaused => Schedule.IsPaused;
}
