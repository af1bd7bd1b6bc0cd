namespace JobTracking;

/// <summary>A recurring schedule as stored: which job it starts, when (a cron expression in a time zone), and where it has got to.</summary>
/// <remarks>Stores keep it as given; the engine builds and checks every value before it calls a store.</remarks>
public sealed record JobScheduleRecord
{
    /// <summary>The longest schedule id accepted.</summary>
    public const int MaxIdLength = 200;

    /// <summary>Gets the schedule's id, chosen by the application (e.g. "nightly-import"); unique in the store, compared ordinally.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the version, 1 when created and raised by one at every save; the compare-and-set token.</summary>
    public required long Version { get; init; }

    /// <summary>Gets the registered name of the job type each occurrence starts.</summary>
    public required string TypeName { get; init; }

    /// <summary>Gets the parameters of each job, as JSON.</summary>
    public required string Parameters { get; init; }

    /// <summary>Gets the cron expression (five fields, or six with seconds first), as given.</summary>
    public required string Cron { get; init; }

    /// <summary>Gets the IANA (or Windows) id of the time zone the cron expression is read in, e.g. "Europe/Paris" or "UTC".</summary>
    public required string TimeZone { get; init; }

    /// <summary>Gets the display name of each job; <see langword="null"/> for the job type's.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Gets the priority of each job.</summary>
    public int Priority { get; init; }

    /// <summary>Gets the concurrency key of each job; <see langword="null"/> for none.</summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>Gets what happens to occurrences missed while no instance ran.</summary>
    public JobScheduleMisfire Misfire { get; init; }

    /// <summary>Gets what happens to an occurrence while the job of the previous one is still unfinished.</summary>
    public JobScheduleOverlap Overlap { get; init; }

    /// <summary>Gets whether the schedule is paused: it starts nothing until resumed.</summary>
    public bool IsPaused { get; init; }

    /// <summary>Gets when the schedule was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets when the schedule was last changed (by a user or by an occurrence).</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Gets the last occurrence the schedule has dealt with (started, or skipped), in UTC; <see langword="null"/> before the first. Occurrences are computed from it.</summary>
    public DateTimeOffset? LastOccurrence { get; init; }

    /// <summary>Gets the id of the last job the schedule started (by an occurrence or a trigger); <see langword="null"/> before the first.</summary>
    public Guid? LastJobId { get; init; }

    /// <summary>Gets the next occurrence the schedule will deal with, in UTC, as computed when it was last saved; <see langword="null"/> when the expression has no more.</summary>
    public DateTimeOffset? NextOccurrence { get; init; }
}

/// <summary>What a schedule does with occurrences missed while no instance was running (or it was paused).</summary>
public enum JobScheduleMisfire
{
    /// <summary>Start one job for all the missed occurrences, at once (the default).</summary>
    RunOnce = 0,

    /// <summary>Start nothing for missed occurrences; wait for the next one.</summary>
    Skip = 1,
}

/// <summary>What a schedule does with an occurrence while the job of its previous occurrence has not finished.</summary>
public enum JobScheduleOverlap
{
    /// <summary>Start nothing for this occurrence (the default): one run at a time.</summary>
    Skip = 0,

    /// <summary>Start the job anyway; it is queued beside the previous one.</summary>
    Queue = 1,
}
