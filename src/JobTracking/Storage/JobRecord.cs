namespace JobTracking;

/// <summary>A snapshot of one job as stored: what the process tracker shows on the job's General tab.</summary>
/// <remarks>Stores create and return these; the engine never mutates one after it is built.</remarks>
public sealed record JobRecord
{
    // The times are kept as UTC ticks with their offsets apart (see CompactTime): a record takes 248 bytes instead of
    // 312 with DateTimeOffset? fields, and a node allocates two for every job it runs (the new job, the claimed one).
    private long _createdAt;
    private long _runAfter;
    private long _idempotentUntil;
    private long _startedAt;
    private long _endedAt;
    private long _timeout;
    private CompactTime.Offsets _offsets;
    private bool _hasTimeout;

    /// <summary>Gets the job's id, unique in the store and ordered by creation time.</summary>
    public required Guid Id { get; init; }

    /// <summary>Gets the stable name of the job's type, as registered with <c>AddJob</c>.</summary>
    public required string TypeName { get; init; }

    /// <summary>Gets the name shown to people.</summary>
    public required string DisplayName { get; init; }

    /// <summary>Gets the current status.</summary>
    public required JobStatus Status { get; init; }

    /// <summary>Gets the version, raised by one at every status transition; the compare-and-set token.</summary>
    public required long Version { get; init; }

    /// <summary>Gets the job's parameters as JSON.</summary>
    public required string Parameters { get; init; }

    /// <summary>Gets who launched the job, if known.</summary>
    public string? LaunchedBy { get; init; }

    /// <summary>Gets the priority: higher runs first. Default 0.</summary>
    public int Priority { get; init; }

    /// <summary>Gets the concurrency key: at most one job with the same key runs at a time. <see langword="null"/> for none.</summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>Gets when the job was created.</summary>
    public required DateTimeOffset CreatedAt { get => CompactTime.ReadRequired(_createdAt, _offsets.CreatedAt); init => _createdAt = CompactTime.Write(value, out _offsets.CreatedAt); }

    /// <summary>Gets the time before which the job is not claimed, judged by the store's clock: a delayed start (<see cref="JobStartOptions.RunAt"/>, <see cref="JobStartOptions.Delay"/>) or a retry's backoff. <see langword="null"/> when it may run as soon as it is queued.</summary>
    /// <remarks>A queued job whose time has not come is shown as scheduled for that time; <see cref="IJobRunner.RunNowAsync(Guid, CancellationToken)"/> makes it ready at once.</remarks>
    public DateTimeOffset? RunAfter { get => CompactTime.Read(_runAfter, _offsets.RunAfter); init => _runAfter = CompactTime.Write(value, out _offsets.RunAfter); }

    /// <summary>Gets the idempotency key the job was started with (<see cref="JobStartOptions.IdempotencyKey"/>): while the job holds it, a start with the same key returns this job instead of a new one. <see langword="null"/> for none, or once the key has been released.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Gets until when a finished job keeps holding its <see cref="IdempotencyKey"/>, by the store's clock; <see langword="null"/> for as long as the job is kept. An unfinished job always holds its key.</summary>
    public DateTimeOffset? IdempotentUntil { get => CompactTime.Read(_idempotentUntil, _offsets.IdempotentUntil); init => _idempotentUntil = CompactTime.Write(value, out _offsets.IdempotentUntil); }

    /// <summary>Gets the longest a run of the job may take before its token fires and it fails as timed out (<see cref="JobStartOptions.Timeout"/>); <see langword="null"/> for the job type's timeout, if any.</summary>
    public TimeSpan? Timeout { get => _hasTimeout ? new TimeSpan(_timeout) : null; init => (_hasTimeout, _timeout) = (value.HasValue, value.GetValueOrDefault().Ticks); }

    /// <summary>Gets when the current attempt first started running, if it has.</summary>
    public DateTimeOffset? StartedAt { get => CompactTime.Read(_startedAt, _offsets.StartedAt); init => _startedAt = CompactTime.Write(value, out _offsets.StartedAt); }

    /// <summary>Gets when the job reached Completed, Cancelled or Failed, if it has.</summary>
    public DateTimeOffset? EndedAt { get => CompactTime.Read(_endedAt, _offsets.EndedAt); init => _endedAt = CompactTime.Write(value, out _offsets.EndedAt); }

    /// <summary>Gets the attempt number, starting at 1 and raised by each restart and each automatic retry.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>Gets the attempts before the current one, oldest first, each with its outcome and error, as the store keeps them; empty until the job is restarted or retried.</summary>
    /// <remarks>A store appends one when a transition starts a new attempt; see <see cref="Storage.JobTransition"/>.</remarks>
    public IReadOnlyList<JobAttempt> PreviousAttempts { get; init; } = [];

    /// <summary>Gets every attempt, oldest first: <see cref="PreviousAttempts"/>, then the current one once it has started (from <see cref="Attempt"/>, <see cref="StartedAt"/>, <see cref="EndedAt"/>, <see cref="Status"/> and <see cref="Error"/>).</summary>
    /// <remarks>Built on each read.</remarks>
    public IReadOnlyList<JobAttempt> Attempts => StartedAt is { } started
        ? [.. PreviousAttempts, new JobAttempt { Number = Attempt, StartedAt = started, EndedAt = EndedAt, Status = Status, Error = Error }]
        : PreviousAttempts;

    /// <summary>Gets the name of the node that runs or last ran the job (<see cref="JobTrackingOptions.NodeName"/>), as shown to people.</summary>
    public string? Node { get; init; }

    /// <summary>Gets who owns the job while it is active (Running, Pausing, Cancelling, ShuttingDown): the instance, its claim and lease; <see langword="null"/> otherwise.</summary>
    public JobClaim? Claim { get; init; }

    /// <summary>Gets the unique id of the instance that owns the job while it is active; <see langword="null"/> otherwise.</summary>
    public string? InstanceId => Claim?.InstanceId;

    /// <summary>Gets the current claim on an active job: every write its run makes carries it, and the store refuses those of any other. <see langword="null"/> when not active.</summary>
    public Guid? ClaimId => Claim?.ClaimId;

    /// <summary>Gets when the owner's lease on an active job ends, by the store's clock, unless renewed; after that any instance may reclaim the job.</summary>
    public DateTimeOffset? LeaseExpiresAt => Claim?.LeaseExpiresAt;

    /// <summary>Gets the last stored progress.</summary>
    public JobProgress Progress { get; init; }

    /// <summary>Gets the last saved checkpoint, handed back to the job when it runs again.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>Gets the progress, steps and warnings count stored with <see cref="Checkpoint"/>: a run that resumes from the checkpoint counts on from these, so repeated work is not counted twice.</summary>
    public JobReport? CheckpointReport { get; init; }

    /// <summary>Gets the error of a failed job (or of a job whose last attempt failed).</summary>
    public JobError? Error { get; init; }

    /// <summary>Gets the number of warnings (rejects, warning and error log lines, step warnings) the job recorded.</summary>
    public int WarningCount { get; init; }

    /// <summary>Gets the job's steps with their counters, in the order they were declared or begun.</summary>
    public IReadOnlyList<JobStep> Steps { get; init; } = [];

    /// <summary>Gets whether the job completed with warnings ("Finished" with a warnings count).</summary>
    public bool HasWarnings => WarningCount > 0;
}

/// <summary>How far a job has got: <see cref="Done"/> units of work out of <see cref="Total"/>.</summary>
/// <param name="Done">The units of work done.</param>
/// <param name="Total">The units of work in all, or <see langword="null"/> when unknown.</param>
public readonly record struct JobProgress(long Done, long? Total)
{
    /// <summary>Gets the percentage done (0 to 100), or <see langword="null"/> when the total is unknown.</summary>
    public double? Percent => Total is > 0 ? Math.Clamp(Done * 100d / Total.Value, 0d, 100d) : null;
}

/// <summary>The error that failed a job. Two errors are equal when their type, message and stack trace are.</summary>
public sealed class JobError : IEquatable<JobError>
{
    /// <summary>Gets the exception's full type name.</summary>
    public required string Type { get; init; }

    /// <summary>Gets the exception's message.</summary>
    public required string Message { get; init; }

    /// <summary>Gets the stack trace, when there is one.</summary>
    public string? StackTrace { get; init; }

    /// <inheritdoc/>
    public bool Equals(JobError? other) =>
        other is not null && string.Equals(Type, other.Type, StringComparison.Ordinal) && string.Equals(Message, other.Message, StringComparison.Ordinal)
        && string.Equals(StackTrace, other.StackTrace, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as JobError);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(Type), StringComparer.Ordinal.GetHashCode(Message));

    /// <summary>Builds the record of an exception.</summary>
    /// <param name="exception">The exception that failed the job.</param>
    /// <returns>The error's type, message and stack trace (inner exceptions included).</returns>
    public static JobError FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new JobError { Type = exception.GetType().FullName ?? exception.GetType().Name, Message = exception.Message, StackTrace = exception.ToString() };
    }
}
