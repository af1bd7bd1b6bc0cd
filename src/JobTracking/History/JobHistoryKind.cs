namespace JobTracking;

/// <summary>What one entry of a job's history (<see cref="JobHistoryEntry"/>) tells.</summary>
public enum JobHistoryKind
{
    /// <summary>The job was created (started, or saved as a draft); <see cref="JobHistoryEntry.Actor"/> is who launched it.</summary>
    Created = 0,

    /// <summary>An attempt first started running, on <see cref="JobHistoryEntry.Node"/> when it is the current attempt.</summary>
    Started = 1,

    /// <summary>An attempt ended; <see cref="JobHistoryEntry.ToStatus"/> is how (Completed, Cancelled, Failed, or Interrupted when a restart replaced it).</summary>
    Ended = 2,

    /// <summary>A draft was submitted.</summary>
    Submit = 3,

    /// <summary>A pause was requested (a running job moves to Pausing, a queued one to Paused).</summary>
    Pause = 4,

    /// <summary>A paused or pausing job was resumed.</summary>
    Resume = 5,

    /// <summary>A cancellation was requested.</summary>
    Cancel = 6,

    /// <summary>A failed or interrupted job was queued again as a new attempt.</summary>
    Restart = 7,

    /// <summary>A queued job that waited for its time was made ready at once.</summary>
    RunNow = 8,

    /// <summary>The job was taken from an instance that stopped renewing its lease (<see cref="JobHistoryEntry.Instance"/> is the one that lost it).</summary>
    Reclaim = 9,

    /// <summary>An attempt failed and the job's retry policy queued it again as a new attempt; <see cref="JobHistoryEntry.Reason"/> is the error.</summary>
    Retry = 10,
}
