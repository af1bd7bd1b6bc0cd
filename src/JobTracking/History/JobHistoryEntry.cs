namespace JobTracking;

/// <summary>One entry of a job's history, as <see cref="IJobTracker.GetHistoryAsync"/> returns it: what happened, when, who did it and why.</summary>
public sealed record JobHistoryEntry
{
    /// <summary>Gets when it happened.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets what happened.</summary>
    public required JobHistoryKind Kind { get; init; }

    /// <summary>Gets the status the job moved from, for a command, a reclaim or a retry; otherwise <see langword="null"/>.</summary>
    public JobStatus? FromStatus { get; init; }

    /// <summary>Gets the status the job moved to (for <see cref="JobHistoryKind.Ended"/>, how the attempt ended; for <see cref="JobHistoryKind.Created"/>, Editing or Queued); <see langword="null"/> for a start.</summary>
    public JobStatus? ToStatus { get; init; }

    /// <summary>Gets who did it: the command's <see cref="JobCommandOptions.Actor"/>, or who launched the job for <see cref="JobHistoryKind.Created"/>; <see langword="null"/> when unknown.</summary>
    public string? Actor { get; init; }

    /// <summary>Gets why: the command's <see cref="JobCommandOptions.Reason"/>, or the error of a retried attempt; <see langword="null"/> for none.</summary>
    public string? Reason { get; init; }

    /// <summary>Gets the instance concerned: the one that issued a command or retried the job, or, for a reclaim, the one that lost the job; <see langword="null"/> when not known.</summary>
    public string? Instance { get; init; }

    /// <summary>Gets the node name of the instance that issued a command or retried the job, or that runs the current attempt; <see langword="null"/> when not known.</summary>
    public string? Node { get; init; }

    /// <summary>Gets the attempt the entry belongs to, from 1 (a restart or a retry names the attempt it begins).</summary>
    public int Attempt { get; init; }
}
