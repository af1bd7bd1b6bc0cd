namespace JobTracking;

/// <summary>A command that a user or the engine issues on a job; named in errors when the job's status does not allow it.</summary>
public enum JobCommand
{
    /// <summary>Submit a draft so that it is queued.</summary>
    Submit = 0,

    /// <summary>Pause a running job at its next safe point, or hold a queued one.</summary>
    Pause = 1,

    /// <summary>Resume a paused job (queue it again) or a pausing one (keep it running).</summary>
    Resume = 2,

    /// <summary>Cancel a job.</summary>
    Cancel = 3,

    /// <summary>Queue a failed or interrupted job again, as a new attempt.</summary>
    Restart = 4,

    /// <summary>Change a draft's parameters.</summary>
    Edit = 5,

    /// <summary>Make a queued job that waits for its time ready at once.</summary>
    RunNow = 6,
}
