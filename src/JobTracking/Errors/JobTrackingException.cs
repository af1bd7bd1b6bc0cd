namespace JobTracking;

/// <summary>The base of every error that JobTracking raises on purpose.</summary>
public class JobTrackingException : InvalidOperationException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public JobTrackingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public JobTrackingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Thrown when a command names a job that the store does not hold.</summary>
public sealed class JobNotFoundException : JobTrackingException
{
    /// <summary>Creates the exception for a job id.</summary>
    /// <param name="jobId">The id that was not found.</param>
    public JobNotFoundException(Guid jobId)
        : base($"Job '{jobId}' was not found.")
    {
        JobId = jobId;
    }

    /// <summary>Creates the exception for a job id, with a message that says more than that the job was not found.</summary>
    /// <param name="jobId">The id that was not found.</param>
    /// <param name="message">What went wrong.</param>
    public JobNotFoundException(Guid jobId, string message)
        : base(message)
    {
        JobId = jobId;
    }

    /// <summary>Gets the id that was not found.</summary>
    public Guid JobId { get; }

    // A wait is where a purged job is met: the caller held its id, so "never existed" is the less likely reading.
    internal static JobNotFoundException WhileWaiting(Guid jobId) => new(
        jobId,
        $"Job '{jobId}' was not found: no such job was started, or it finished and was purged. The in-memory store keeps the " +
        "last JobTracking:MaxFinishedJobsInMemory finished jobs (10,000 by default), and JobTracking:RetentionPeriod purges " +
        "finished jobs in any store. To wait for many jobs, handle their end as it happens (IJobEvents.OnJobFinished, " +
        "subscribed before they start) rather than waiting for each in turn.");
}

/// <summary>Thrown when a command is not allowed in the job's current status; nothing was changed.</summary>
public sealed class InvalidJobTransitionException : JobTrackingException
{
    /// <summary>Creates the exception for a refused command.</summary>
    /// <param name="jobId">The job the command named.</param>
    /// <param name="currentStatus">The job's status when the command was refused.</param>
    /// <param name="command">The refused command.</param>
    public InvalidJobTransitionException(Guid jobId, JobStatus currentStatus, JobCommand command)
        : base($"Cannot {command.ToString().ToLowerInvariant()} job '{jobId}': it is {currentStatus}, which does not allow {command}.")
    {
        JobId = jobId;
        CurrentStatus = currentStatus;
        Command = command;
    }

    /// <summary>Gets the job the command named.</summary>
    public Guid JobId { get; }

    /// <summary>Gets the job's status when the command was refused.</summary>
    public JobStatus CurrentStatus { get; }

    /// <summary>Gets the refused command.</summary>
    public JobCommand Command { get; }
}

/// <summary>Thrown when a job type name is not registered with <c>AddJobTracking</c>.</summary>
public sealed class UnknownJobTypeException : JobTrackingException
{
    /// <summary>Creates the exception for a type name.</summary>
    /// <param name="typeName">The name that is not registered.</param>
    /// <param name="knownTypes">The names that are registered, listed in the message.</param>
    public UnknownJobTypeException(string typeName, IEnumerable<string> knownTypes)
        : base($"Job type {Quote(typeName)} is not registered. Registered types: {Describe(knownTypes)}.")
    {
        TypeName = typeName;
    }

    /// <summary>Gets the name that is not registered.</summary>
    public string TypeName { get; }

    // A name that long is not a type name but input gone wrong: quoting all of it would bury the message.
    private static string Quote(string? typeName) =>
        typeName is { Length: > 100 } ? $"'{typeName.AsSpan(0, 100)}…' ({typeName.Length} characters)" : $"'{typeName}'";

    private static string Describe(IEnumerable<string> knownTypes)
    {
        var list = string.Join(", ", knownTypes.Order(StringComparer.Ordinal).Select(t => $"'{t}'"));
        return list.Length == 0 ? "none" : list;
    }
}

/// <summary>Thrown when the in-memory store already holds as many queued jobs as its capacity allows.</summary>
public sealed class JobQueueFullException : JobTrackingException
{
    /// <summary>Creates the exception for a capacity.</summary>
    /// <param name="capacity">The capacity that was reached.</param>
    public JobQueueFullException(int capacity)
        : base($"The job queue is full: it already holds {capacity} queued jobs (JobTracking:QueueCapacity). Start the job later or raise the capacity.")
    {
        Capacity = capacity;
    }

    /// <summary>Gets the capacity that was reached.</summary>
    public int Capacity { get; }
}

/// <summary>The error a job fails with when one of its runs took longer than its timeout (<see cref="JobStartOptions.Timeout"/>, <see cref="JobTypeOptions.Timeout"/>); its retry policy may retry it.</summary>
public sealed class JobTimeoutException : JobTrackingException
{
    /// <summary>Creates the exception for a timeout.</summary>
    /// <param name="timeout">The timeout that was reached.</param>
    public JobTimeoutException(TimeSpan timeout)
        : base($"The job timed out after {timeout:c}: its run took longer than its timeout, so its token fired.")
    {
        Timeout = timeout;
    }

    /// <summary>Gets the timeout that was reached.</summary>
    public TimeSpan Timeout { get; }
}
