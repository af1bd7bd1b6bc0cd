using JobTracking.Storage;

namespace JobTracking.Running;

/// <summary>
/// What a command learns when its write was retried after a transient error and the retry was refused: the error may
/// have come after the store applied the first attempt (its acknowledgement was lost), and the retry's compare-and-set
/// then fails against the attempt's own move. These checks read what was stored to tell.
/// </summary>
/// <remarks>
/// <para>A refusal with no transient error on the way is the store's own word: the job moved before this command's move,
/// and the caller is told so as before (of two racing commands, exactly one wins).</para>
/// <para>After a transient error, "my attempt was stored" and "another caller made the same move from the same version"
/// leave the same row and the same change, save the change's time. The checks do not try to tell them apart, because
/// the answer is the same: the job made exactly the move this command asked for, from the status and version the
/// command read, so the command's request holds; a command is idempotent, and both callers are told it succeeded, as two
/// deletes of one resource both are. What the checks refuse to do is guess: a job that moved on after the version
/// read is judged by the change feed's record of the move that followed that version, and when the feed no longer
/// holds it, the caller is told the outcome is unknown rather than have the move made a second time (a restart made
/// twice would run the job twice).</para>
/// </remarks>
internal static class LostAcknowledgement
{
    private const int FeedPage = 256;

    /// <summary>Tells whether the move <paramref name="transition"/>, made on <paramref name="job"/> as read, was stored by an attempt whose answer was lost.</summary>
    /// <param name="engine">The engine, for the store, its feed and retries.</param>
    /// <param name="job">The job as the command read it, before its move.</param>
    /// <param name="transition">The command's move.</param>
    /// <param name="feedPosition">A feed sequence number read before the first attempt: any change the attempt made is after it.</param>
    /// <param name="error">The transient error that made the attempt's outcome unknown.</param>
    /// <param name="command">The command, for the error message.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns><see langword="true"/> when the move that followed the version read was this very move; <see langword="false"/> when the job did not move, or moved otherwise.</returns>
    /// <exception cref="JobTrackingException">The job moved on and the change feed no longer shows which move followed the version read.</exception>
    public static async ValueTask<bool> WasMoveStoredAsync(
        JobEngine engine, JobRecord job, JobTransition transition, long feedPosition, Exception error, JobCommand command, CancellationToken cancellationToken)
    {
        var current = await engine.GetAsync(job.Id, cancellationToken).ConfigureAwait(false);
        if (current is null || current.Version <= job.Version)
        {
            return false; // gone (the caller reads it again and says so), or not moved: the attempt was not stored
        }

        var next = job.Version + 1;
        if (current.Version == next)
        {
            // One move since the read, from the status read (the version pins it): the command's own move if it led here.
            return current.Status == transition.ToStatus;
        }

        // The job moved on since (a cancelled run ended, a resumed job was claimed): the feed says what the first move was.
        // A store may number its changes a moment after their commits (PostgreSQL), so the job's current version can be
        // read before the feed shows it: the feed is read until it shows the job at that version, waiting for it a while.
        var buffer = new JobChange[FeedPage];
        var after = feedPosition;
        var lost = false;
        using var patience = new CancellationTokenSource(FeedCatchUp, engine.TimeProvider);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, patience.Token);
        while (true)
        {
            // The whole check, reads included, is bounded: a store that stops answering leaves the outcome unknown.
            JobFeedRead read;
            try
            {
                read = await engine.Retry.RunAsync((Store: engine.Feed.Store, after, buffer), static (s, ct) => s.Store.ReadFeedAsync(s.after, s.buffer, ct), waiting.Token)
                    .ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (patience.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw Unknown(job, transition, current, error, command);
            }

            lost |= after < read.FirstSequence - 1;
            for (var i = 0; i < read.Count; i++)
            {
                var change = buffer[i];
                if (change.JobId != job.Id || change.Version < next)
                {
                    continue;
                }

                if (change.Kind != JobEventKind.Progress && change.Version == next)
                {
                    return change.Kind == JobEventKind.StatusChanged && change.PreviousStatus == job.Status && change.Status == transition.ToStatus;
                }

                // A later change of the job, with none of the version after the one read before it: trimmed from the feed.
                throw Unknown(job, transition, current, error, command);
            }

            if (read.Count > 0)
            {
                after = buffer[read.Count - 1].Sequence;
                continue;
            }

            // The feed's end without the job's changes since the version read: trimmed, when the feed dropped changes after
            // the position read before the move; otherwise not numbered yet, so the check waits for the feed to go on.
            if (lost)
            {
                throw Unknown(job, transition, current, error, command);
            }

            try
            {
                await engine.Feed.Store.WaitForChangesAsync(after, waiting.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (patience.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw Unknown(job, transition, current, error, command);
            }
        }
    }

    // How long a check waits for the change feed to show a move the job's row shows already.
    private static readonly TimeSpan FeedCatchUp = TimeSpan.FromSeconds(10);

    private static JobTrackingException Unknown(JobRecord job, JobTransition transition, JobRecord current, Exception error, JobCommand command) => new(
        $"The {Name(command)} of job '{job.Id}' may or may not have been stored: the store failed with a transient error after the move from {job.Status} to {transition.ToStatus} was sent, " +
        $"and the job has changed since (it is now {current.Status}, version {current.Version}); the change feed no longer shows which move followed version {job.Version}. " +
        "Read the job to see where it is.",
        error);

    /// <summary>Tells whether a draft edit, retried after a transient error and refused, was stored by the attempt whose answer was lost.</summary>
    /// <returns><see langword="true"/> when the draft has the version after the one read and the edit's parameters and display name.</returns>
    public static async ValueTask<bool> WasDraftEditStoredAsync(JobEngine engine, JobRecord job, string parameters, string displayName, CancellationToken cancellationToken)
    {
        var current = await engine.GetAsync(job.Id, cancellationToken).ConfigureAwait(false);
        return current is { Status: JobStatus.Editing } && current.Version == job.Version + 1
            && string.Equals(current.Parameters, parameters, StringComparison.Ordinal) && string.Equals(current.DisplayName, displayName, StringComparison.Ordinal);
    }

    /// <summary>The error of a command given up after <paramref name="tries"/> moves in a row were refused.</summary>
    /// <param name="command">The command.</param>
    /// <param name="tries">How many moves were refused.</param>
    /// <param name="job">The job as last read.</param>
    /// <param name="previous">The job as read before that.</param>
    public static JobTrackingException GaveUp(JobCommand command, int tries, JobRecord job, JobRecord previous) =>
        new(previous.Status == job.Status && previous.Version == job.Version
            ? $"The {Name(command)} of job '{job.Id}' was given up after {tries} tries: the store reads the job as {job.Status} at version {job.Version} but refuses every move from there " +
                "(its stored row may have been edited into something the store reads but cannot compare). Nothing was changed."
            : $"The {Name(command)} of job '{job.Id}' was given up after {tries} tries: the job changed before each move could be stored (it is now {job.Status}, version {job.Version}). Nothing was changed by this call.");

    private static string Name(JobCommand command) => command.ToString().ToLowerInvariant();
}
