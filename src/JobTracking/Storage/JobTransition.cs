namespace JobTracking.Storage;

/// <summary>A compare-and-set of a job's status: it applies only if the job still has <see cref="FromStatus"/> and <see cref="ExpectedVersion"/> (and <see cref="ClaimId"/>, when given).</summary>
/// <remarks>
/// A store applies it atomically: status becomes <see cref="ToStatus"/> and the version goes up by one. It also sets:
/// <see cref="JobRecord.StartedAt"/> (if not yet set) and <see cref="JobRecord.Node"/> when moving from Queued to Running;
/// <see cref="JobRecord.EndedAt"/> when moving to Completed, Cancelled or Failed (and clears it when moving to Queued);
/// <see cref="JobRecord.Error"/> to <see cref="Error"/> when moving to Failed;
/// <see cref="JobRecord.Checkpoint"/> when <see cref="HasCheckpoint"/> is set (with the report stored as <see cref="JobRecord.CheckpointReport"/>);
/// the progress, steps and warnings count when <see cref="Report"/> is given;
/// when <see cref="IsNewAttempt"/> is set, first appends the attempt that ends to <see cref="JobRecord.PreviousAttempts"/> (see below), then raises
/// <see cref="JobRecord.Attempt"/> by one and clears <see cref="JobRecord.StartedAt"/> and <see cref="JobRecord.Error"/>;
/// and clears the claim, owner and lease when the job leaves the active statuses (Running, Pausing, Cancelling, ShuttingDown).
/// <para><b>Attempt history.</b> The current attempt needs nothing stored: <see cref="JobRecord.Attempts"/> builds it from the job's own
/// fields. A store keeps only the attempts before it, and changes them on one move only: one with <see cref="IsNewAttempt"/> set appends,
/// with the values the job has before the move, a <see cref="JobAttempt"/> whose <see cref="JobAttempt.Number"/> is <see cref="JobRecord.Attempt"/>,
/// <see cref="JobAttempt.StartedAt"/> is <see cref="JobRecord.StartedAt"/> (or <see cref="At"/> if the job has none), <see cref="JobAttempt.EndedAt"/> is
/// <see cref="JobRecord.EndedAt"/> (or <see cref="At"/> if the job has none, as for an interrupted attempt), <see cref="JobAttempt.Status"/> is
/// <see cref="FromStatus"/> and <see cref="JobAttempt.Error"/> is <see cref="JobRecord.Error"/>. No other move, claim or reclaim changes them, and
/// they round-trip like every other field (times to the microsecond, error text exactly). One exception: a move with <see cref="IsNewAttempt"/>
/// set that carries an <see cref="Error"/> (an automatic retry after a failure, Running to Queued) records the attempt that ends as
/// <see cref="JobStatus.Failed"/> with that error and <see cref="JobAttempt.EndedAt"/> = <see cref="At"/>.</para>
/// <para><b>Queue.</b> A move to Queued stores <see cref="RunAfter"/> as the job's <see cref="JobRecord.RunAfter"/> (replacing the one it had;
/// <see langword="null"/> makes it ready at once) and gives the job a new place at the back of the queue, as of when it becomes ready
/// (Queued to Queued is allowed: it reschedules a waiting job). No other move changes <see cref="JobRecord.RunAfter"/>.</para>
/// </remarks>
public readonly record struct JobTransition
{
    /// <summary>Gets the job to move.</summary>
    public required Guid JobId { get; init; }

    /// <summary>Gets the status the job must still have.</summary>
    public required JobStatus FromStatus { get; init; }

    /// <summary>Gets the version the job must still have.</summary>
    public required long ExpectedVersion { get; init; }

    /// <summary>Gets the new status.</summary>
    public required JobStatus ToStatus { get; init; }

    /// <summary>Gets when the transition happened.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets the node that makes the move; stored when moving to Running.</summary>
    public string? Node { get; init; }

    /// <summary>Gets the claim a run makes the move under: the move is refused unless it is the job's current claim. <see langword="null"/> for commands, which anyone may issue.</summary>
    public Guid? ClaimId { get; init; }

    /// <summary>Gets the error to store when moving to Failed, or, on a retry (a move to Queued with <see cref="IsNewAttempt"/>), the error that ended the attempt.</summary>
    public JobError? Error { get; init; }

    /// <summary>Gets whether <see cref="Checkpoint"/> is stored with the move.</summary>
    public bool HasCheckpoint { get; init; }

    /// <summary>Gets the checkpoint to store when <see cref="HasCheckpoint"/> is set.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>Gets the report to store with the move (a run's final report), or <see langword="null"/> to keep the stored one.</summary>
    public JobReport? Report { get; init; }

    /// <summary>Gets whether the move starts a new attempt (a restart or an automatic retry): the store records the attempt that ends in <see cref="JobRecord.PreviousAttempts"/>.</summary>
    public bool IsNewAttempt { get; init; }

    /// <summary>Gets, on a move to Queued, the time before which the job is not claimed (by the store's clock); <see langword="null"/> for at once. Ignored on other moves.</summary>
    public DateTimeOffset? RunAfter { get; init; }
}
