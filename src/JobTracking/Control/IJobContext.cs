namespace JobTracking;

/// <summary>What a running job sees of itself: its identity, its control and its checkpoint.</summary>
public interface IJobContext
{
    /// <summary>Gets the job's id.</summary>
    Guid JobId { get; }

    /// <summary>Gets the job's type name.</summary>
    string TypeName { get; }

    /// <summary>Gets the attempt number, starting at 1.</summary>
    int Attempt { get; }

    /// <summary>Gets a token that fires as soon as the job is cancelled (or the host's grace period for stopping runs out).</summary>
    CancellationToken CancellationToken { get; }

    /// <summary>Gets the checkpoint the job last set or that was saved by an earlier run; <see langword="null"/> on a first run.</summary>
    string? Checkpoint { get; }

    /// <summary>Sets the checkpoint: where to continue from if the job is paused, interrupted or restarted after this point.</summary>
    /// <remarks>It is saved when the job pauses or is interrupted, and now and then at safe points (see <c>CheckpointInterval</c>).</remarks>
    /// <param name="checkpoint">Any text, typically JSON; <see langword="null"/> clears it.</param>
    void SetCheckpoint(string? checkpoint);

    /// <summary>Reads the checkpoint as JSON.</summary>
    /// <typeparam name="T">The checkpoint's type.</typeparam>
    /// <returns>The checkpoint, or <see langword="default"/> when there is none.</returns>
    /// <exception cref="System.Text.Json.JsonException">The stored checkpoint is not a valid <typeparamref name="T"/>.</exception>
    T? GetCheckpoint<T>();

    /// <summary>Sets the checkpoint to <paramref name="checkpoint"/> written as JSON.</summary>
    /// <typeparam name="T">The checkpoint's type.</typeparam>
    /// <param name="checkpoint">The value to save.</param>
    void SetCheckpoint<T>(T checkpoint);

    /// <summary>Reports how far the job has got; stored now and then, and when the job stops.</summary>
    /// <param name="done">The units of work done, at least 0.</param>
    /// <param name="total">The units of work in all, or <see langword="null"/> when unknown.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative.</exception>
    void ReportProgress(long done, long? total = null);

    /// <summary>A point where the job may stop: throws to honour a pending pause, cancel or host shutdown, and otherwise returns at once.</summary>
    /// <remarks>Let the exception it throws propagate out of <c>ExecuteAsync</c>; the engine saves the checkpoint and frees the worker slot.</remarks>
    /// <returns>A task that completes when the job may go on.</returns>
    /// <exception cref="OperationCanceledException">The job is cancelled, paused or interrupted.</exception>
    ValueTask SafePointAsync();
}

/// <summary>What a running job sees of itself, with its typed parameters.</summary>
/// <typeparam name="TParameters">The parameters' type.</typeparam>
public interface IJobContext<out TParameters> : IJobContext
{
    /// <summary>Gets the job's parameters.</summary>
    TParameters Parameters { get; }
}
