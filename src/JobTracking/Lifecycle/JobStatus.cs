namespace JobTracking;

/// <summary>The status of a job, as shown in the process tracker.</summary>
/// <remarks>The allowed moves between statuses are listed in <see cref="JobLifecycle"/>.</remarks>
public enum JobStatus
{
    /// <summary>"Editing in progress": a draft that has not been submitted yet.</summary>
    Editing = 0,

    /// <summary>Waiting for a free worker slot.</summary>
    Queued = 1,

    /// <summary>"Execution in progress": a worker is running the job.</summary>
    Running = 2,

    /// <summary>"Pause in progress": the job pauses at its next safe point.</summary>
    Pausing = 3,

    /// <summary>The job is paused, with its checkpoint saved; resuming queues it again.</summary>
    Paused = 4,

    /// <summary>"Cancellation in progress": the job stops at its next safe point.</summary>
    Cancelling = 5,

    /// <summary>The job was cancelled. Terminal.</summary>
    Cancelled = 6,

    /// <summary>"Finished": the job ended normally, possibly with warnings. Terminal.</summary>
    Completed = 7,

    /// <summary>"Finished with error": the job threw; it can be restarted.</summary>
    Failed = 8,

    /// <summary>"Server shutdown in progress": the host is stopping and the job stops at its next safe point.</summary>
    ShuttingDown = 9,

    /// <summary>The job was stopped by a host shutdown or a host crash; it resumes from its checkpoint when queued again.</summary>
    Interrupted = 10,
}
