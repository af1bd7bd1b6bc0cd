namespace JobTracking;

/// <summary>One execution attempt of a job: its first run, or a run begun by a restart, with how it went.</summary>
/// <remarks>A pause, a resume or a recovery after a shutdown continues the same attempt; only a restart begins a new one.</remarks>
public sealed record JobAttempt
{
    /// <summary>Gets the attempt's number, from 1 (the first run) up, raised by each restart.</summary>
    public required int Number { get; init; }

    /// <summary>Gets when the attempt first started running.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets when the attempt ended: when the job reached Completed, Cancelled or Failed, or, for an interrupted attempt, when a restart replaced it; <see langword="null"/> while it has not ended.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Gets the status the attempt ended in (Completed, Cancelled, Failed, or Interrupted when a restart replaced it), or the job's status while the attempt is the current one and has not ended.</summary>
    public required JobStatus Status { get; init; }

    /// <summary>Gets the error that failed the attempt; <see langword="null"/> unless <see cref="Status"/> is Failed.</summary>
    public JobError? Error { get; init; }

    /// <summary>Gets how long the attempt took, once it has ended.</summary>
    public TimeSpan? Duration => EndedAt is { } end ? end - StartedAt : null;
}
