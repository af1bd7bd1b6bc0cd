namespace JobTracking.Running;

/// <summary>How a run's code ended.</summary>
internal enum RunOutcome
{
    Completed,
    Failed,
    Cancelled,
    Suspended,
}

/// <summary>The outcome table: the status a run's outcome stores, given the status the job has when it is stored.</summary>
internal static class RunOutcomes
{
    /// <summary>The status running steps end with when the job stores <paramref name="status"/>, or <see langword="null"/> when they stay as they are.</summary>
    /// <param name="status">The status stored.</param>
    /// <returns>The steps' end status.</returns>
    public static JobStepStatus? StepOutcome(JobStatus status) => status switch
    {
        JobStatus.Completed => JobStepStatus.Completed,
        JobStatus.Failed => JobStepStatus.Failed,
        JobStatus.Cancelled => JobStepStatus.Cancelled,
        _ => null,
    };

    /// <summary>The status that <paramref name="outcome"/> stores for a job now in <paramref name="status"/>; <see cref="JobStatus.Running"/> when the code must run again (a flagged command not stored yet, or withdrawn); <see langword="null"/> when the job is no longer active.</summary>
    /// <param name="outcome">How the code ended.</param>
    /// <param name="status">The job's status now.</param>
    /// <param name="error">What the code threw, if it failed.</param>
    /// <returns>The status to store.</returns>
    public static JobStatus? Resolve(RunOutcome outcome, JobStatus status, Exception? error)
    {
        if (!JobLifecycle.IsActive(status))
        {
            return null;
        }

        return outcome switch
        {
            RunOutcome.Completed => JobStatus.Completed,
            RunOutcome.Failed when status == JobStatus.ShuttingDown && error is OperationCanceledException => JobStatus.Interrupted,
            RunOutcome.Failed => JobStatus.Failed,
            RunOutcome.Cancelled => status switch
            {
                JobStatus.Cancelling => JobStatus.Cancelled,
                JobStatus.Running => JobStatus.Running, // the cancel is flagged but not stored yet
                _ => JobStatus.Interrupted,
            },
            _ => status switch
            {
                JobStatus.Pausing => JobStatus.Paused,
                JobStatus.ShuttingDown => JobStatus.Interrupted,
                JobStatus.Cancelling => JobStatus.Cancelled,
                _ => JobStatus.Running,
            },
        };
    }
}
