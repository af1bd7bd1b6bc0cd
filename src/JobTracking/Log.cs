using Microsoft.Extensions.Logging;

namespace JobTracking;

/// <summary>The engine's log messages, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Job {JobId} ({TypeName}) started, attempt {Attempt}.")]
    public static partial void JobStarted(ILogger logger, Guid jobId, string typeName, int attempt);

    [LoggerMessage(2, LogLevel.Debug, "Job {JobId} ({TypeName}) stopped as {Status}.")]
    public static partial void JobStopped(ILogger logger, Guid jobId, string typeName, JobStatus status);

    [LoggerMessage(3, LogLevel.Warning, "Job {JobId} ({TypeName}) failed.")]
    public static partial void JobFailed(ILogger logger, Exception? exception, Guid jobId, string typeName);

    [LoggerMessage(31, LogLevel.Warning, "Job {JobId} ({TypeName}) failed in attempt {Attempt} of {MaxAttempts}; it is queued again for {RetryAt:O}.")]
    public static partial void JobRetrying(ILogger logger, Exception? exception, Guid jobId, string typeName, int attempt, int maxAttempts, DateTimeOffset retryAt);

    [LoggerMessage(4, LogLevel.Error, "Job {JobId} has type {TypeName}, which is not registered; it is stored as failed.")]
    public static partial void UnknownJobType(ILogger logger, Guid jobId, string typeName);

    [LoggerMessage(5, LogLevel.Warning, "Job {JobId} ({TypeName}) did not reach a safe point within the shutdown grace period; it is stored as interrupted with its last checkpoint.")]
    public static partial void JobInterrupted(ILogger logger, Guid jobId, string typeName);

    [LoggerMessage(6, LogLevel.Error, "An event subscriber threw while handling job {JobId} ({Status}); it stays subscribed.")]
    public static partial void SubscriberFailed(ILogger logger, Exception exception, Guid jobId, JobStatus status);

    [LoggerMessage(7, LogLevel.Information, "Job scheduler started on node {Node} with {Workers} workers.")]
    public static partial void SchedulerStarted(ILogger logger, string node, int workers);

    [LoggerMessage(8, LogLevel.Information, "Job scheduler on node {Node} stopping: {Running} jobs running.")]
    public static partial void SchedulerStopping(ILogger logger, string node, int running);

    [LoggerMessage(9, LogLevel.Information, "Recovered {Count} jobs left active on node {Node} by an earlier run of this host.")]
    public static partial void RecoveredJobs(ILogger logger, int count, string node);

    [LoggerMessage(10, LogLevel.Information, "Queued {Count} interrupted jobs again.")]
    public static partial void ResumedInterruptedJobs(ILogger logger, int count);

    [LoggerMessage(11, LogLevel.Error, "The job feeder failed; it retries after the poll interval.")]
    public static partial void FeederFailed(ILogger logger, Exception exception);

    [LoggerMessage(12, LogLevel.Error, "A worker failed while running job {JobId}; the worker carries on.")]
    public static partial void WorkerFailed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(13, LogLevel.Warning, "Storing {Count} journal entries failed with a transient error; retrying.")]
    public static partial void JournalWriteFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(14, LogLevel.Information, "Purged {Count} finished jobs that ended before {Cutoff}.")]
    public static partial void Purged(ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(15, LogLevel.Error, "Purging finished jobs failed; trying again at the next retention run.")]
    public static partial void PurgeFailed(ILogger logger, Exception exception);

    [LoggerMessage(16, LogLevel.Warning, "Job {JobId} ({TypeName}) is no longer owned by this instance ({Reason}); its run stops and writes nothing more.")]
    public static partial void OwnershipLost(ILogger logger, Guid jobId, string typeName, string reason);

    [LoggerMessage(17, LogLevel.Warning, "A store call failed with a transient error; retry {Attempt} in {Delay}.")]
    public static partial void TransientStoreError(ILogger logger, Exception exception, int attempt, TimeSpan delay);

    [LoggerMessage(18, LogLevel.Information, "Reclaimed {Count} jobs whose owner is gone (lease expired or host stopped) on instance {InstanceId}.")]
    public static partial void Reclaimed(ILogger logger, int count, string instanceId);

    [LoggerMessage(19, LogLevel.Error, "Renewing leases or reclaiming expired ones failed; trying again at the next heartbeat.")]
    public static partial void HeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(20, LogLevel.Error, "The store refused a journal entry of job {JobId} for good; it is stored as a marker saying why.")]
    public static partial void JournalEntryRefused(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(21, LogLevel.Error, "The store refused a journal entry of job {JobId} and its marker; the entry is dropped ({Dropped} dropped so far).")]
    public static partial void JournalEntryDropped(ILogger logger, Exception exception, Guid jobId, long dropped);

    [LoggerMessage(22, LogLevel.Error, "Job {JobId} ({TypeName}) was still running when the host's shutdown time ran out; it is abandoned, and its lease will expire so another start or instance reclaims it.")]
    public static partial void JobAbandoned(ILogger logger, Guid jobId, string typeName);

    [LoggerMessage(23, LogLevel.Error, "Storing the final status of job {JobId} ({TypeName}) failed with an error that is not transient; the run lets its lease expire so the job is reclaimed.")]
    public static partial void FinalTransitionFailed(ILogger logger, Exception exception, Guid jobId, string typeName);

    [LoggerMessage(24, LogLevel.Error, "Saving the progress of job {JobId} failed.")]
    public static partial void ProgressSaveFailed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(29, LogLevel.Warning, "Saving the checkpoint of job {JobId} failed with a transient error after every retry; the job goes on and saves it again at a later safe point.")]
    public static partial void CheckpointSaveFailed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(25, LogLevel.Error, "Reading the store's change feed failed with an error that is not transient; reading again shortly.")]
    public static partial void FeedReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(26, LogLevel.Warning, "An event subscriber fell behind the change feed and lost {Count} events the store no longer held.")]
    public static partial void SubscriberLostEvents(ILogger logger, long count);

    [LoggerMessage(30, LogLevel.Warning, "An event subscriber that must not lose events (JobEventOverflow.Wait) read nothing past change {Position} for {Limit}; new work no longer waits for it, and what the feed overwrites before it reads on is counted as dropped.")]
    public static partial void SubscriberLetGo(ILogger logger, long position, TimeSpan limit);

    [LoggerMessage(27, LogLevel.Warning, "The change feed no longer held {Count} changes this host had not read yet; waiters and running jobs look at the store again.")]
    public static partial void FeedGap(ILogger logger, long count);

    [LoggerMessage(54, LogLevel.Warning, "The {Kind} entry of job {JobId}'s history was not recorded: the journal's buffer was full (the store is slow or does not answer). The change itself is stored.")]
    public static partial void HistoryEntryDropped(ILogger logger, Guid jobId, JobHistoryKind kind);

    // Event 28 (the start-up resume of interrupted jobs failed on a row it could not read) is retired: the reclaim resumes
    // them now and fails such a row on its own. Its id is not reused.

    [LoggerMessage(55, LogLevel.Warning, "Recording this instance's heartbeat in the list of instances failed; trying again at the next heartbeat. Jobs are not affected.")]
    public static partial void InstanceHeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(56, LogLevel.Information, "Forgot {Count} instances silent for more than {Bound}.")]
    public static partial void InstancesForgotten(ILogger logger, int count, TimeSpan bound);

    [LoggerMessage(57, LogLevel.Warning, "Taking this instance off the list of instances as it stops failed; the live instances forget it once it has been silent long enough.")]
    public static partial void InstanceRemovalFailed(ILogger logger, Exception exception);
}
