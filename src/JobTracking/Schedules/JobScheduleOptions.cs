namespace JobTracking;

/// <summary>How a schedule reads its cron expression and deals with missed and overlapping occurrences, and how its jobs are shown and queued.</summary>
public sealed record JobScheduleOptions
{
    /// <summary>Gets the IANA id of the time zone the cron expression is read in, e.g. "Europe/Paris". Default: "UTC".</summary>
    /// <remarks>Daylight saving follows Cronos: a time that spring-forward skips runs at the next valid time (02:30 at 03:00); in the hour fall-back repeats, a fixed-time expression runs once and an interval expression (a <c>*</c>, range or step in its second, minute or hour field) runs in both hours.</remarks>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>Gets what happens to occurrences missed while no instance ran or the schedule was paused. Default: <see cref="JobScheduleMisfire.RunOnce"/>.</summary>
    public JobScheduleMisfire Misfire { get; init; }

    /// <summary>Gets what happens to an occurrence while the job of the previous one is unfinished. Default: <see cref="JobScheduleOverlap.Skip"/>.</summary>
    public JobScheduleOverlap Overlap { get; init; }

    /// <summary>Gets the display name of each job, 1 to <see cref="JobStartOptions.MaxTextLength"/> characters; <see langword="null"/> (the default) for the job type's.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Gets the priority of each job, -1000 to 1000; higher runs first. Default: 0.</summary>
    public int Priority { get; init; }

    /// <summary>Gets the concurrency key of each job, 1 to <see cref="JobStartOptions.MaxTextLength"/> characters: jobs with the same key run one at a time. <see langword="null"/> (the default) for none.</summary>
    public string? ConcurrencyKey { get; init; }
}
