namespace JobTracking;

/// <summary>What a running job sees of itself: its identity, its control and its checkpoint.</summary>
/// <remarks>Every member may be called from several tasks of the job at once; each task's log lines and rejects are stored in the order it wrote them.</remarks>
public interface IJobContext
{
    /// <summary>Gets the job's id.</summary>
    Guid JobId { get; }

    /// <summary>Gets the job's type name.</summary>
    string TypeName { get; }

    /// <summary>Gets the attempt number, starting at 1.</summary>
    int Attempt { get; }

    /// <summary>Gets this run's fencing token: a number that grows with every claim of the job, on any instance, so a later run always has a larger one.</summary>
    /// <remarks>
    /// Pass it with every write the job makes to another system, and have that system keep the largest token it has seen per
    /// job and refuse a write that carries a smaller one: a run that lost its job (its instance cut off past its lease,
    /// frozen, or stopped while the job ignored its token) can then no longer write over the run that took the job over.
    /// </remarks>
    long FencingToken { get; }

    /// <summary>Gets a token that fires as soon as the job is cancelled (or the host's grace period for stopping runs out).</summary>
    CancellationToken CancellationToken { get; }

    /// <summary>Reads the checkpoint: the value the job last gave <see cref="SetCheckpoint{T}"/>, in this run or a run before a pause, interruption or restart.</summary>
    /// <remarks>The checkpoint is stored as JSON, so read it with the type it was set with (a string, a number, a record).</remarks>
    /// <typeparam name="T">The type the checkpoint was set with.</typeparam>
    /// <returns>The checkpoint, or <see langword="default"/> when there is none (a first run, or the checkpoint was set to <see langword="null"/>).</returns>
    /// <exception cref="System.Text.Json.JsonException">The stored checkpoint is not a valid <typeparamref name="T"/>; the message names the job and the type.</exception>
    T? GetCheckpoint<T>();

    /// <summary>Sets the checkpoint, written as JSON: where to continue from if the job is paused, interrupted or restarted after this point.</summary>
    /// <remarks>
    /// It is saved when the job pauses or is interrupted, and now and then at safe points (see <c>CheckpointInterval</c>).
    /// <see cref="GetCheckpoint{T}"/> with the same type reads it back, in this run or the next.
    /// </remarks>
    /// <typeparam name="T">The checkpoint's type: anything <c>System.Text.Json</c> writes and reads back.</typeparam>
    /// <param name="checkpoint">The value to save; <see langword="null"/> clears the checkpoint.</param>
    void SetCheckpoint<T>(T checkpoint);

    /// <summary>Reports how far the job has got; stored now and then, and when the job stops.</summary>
    /// <param name="done">The units of work done, at least 0.</param>
    /// <param name="total">The units of work in all, or <see langword="null"/> when unknown.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative.</exception>
    void ReportProgress(long done, long? total = null);

    /// <summary>Gets a logger whose lines go to the job's log (the Log tab) and to the host's logging with the job id in scope; warnings and errors raise the job's warnings count.</summary>
    /// <remarks>When the journal buffer is full, lines wait in the job and the next safe point waits for room.</remarks>
    Microsoft.Extensions.Logging.ILogger Logger { get; }

    /// <summary>Writes a line to the job's log, waiting for room in the journal buffer when it is full.</summary>
    /// <param name="level">The line's level; Warning and above raise the job's warnings count.</param>
    /// <param name="message">The text; past the configured maximum it is stored truncated with a marker.</param>
    /// <returns>A task that completes when the line is buffered.</returns>
    ValueTask LogAsync(Microsoft.Extensions.Logging.LogLevel level, string message);

    /// <summary>Records a rejected input record (the Rejects tab) and raises the job's warnings count by one (and, while exactly one step is running, that step's); never fails the job.</summary>
    /// <param name="recordNumber">The record's number in the input, at least 0.</param>
    /// <param name="rawRecord">The record as received; past the configured maximum it is stored truncated with a marker.</param>
    /// <param name="reason">Why it was rejected.</param>
    /// <returns>A task that completes when the reject is buffered.</returns>
    ValueTask RejectAsync(long recordNumber, string rawRecord, string reason);

    /// <summary>Declares the job's steps up front so the report lists them (Pending) before they run.</summary>
    /// <param name="names">The step names, in order.</param>
    void DefineSteps(params string[] names);

    /// <summary>Starts a step (or picks it up again after a pause, with its counters) and returns it for counting.</summary>
    /// <param name="name">The step's name, 1 to 200 characters.</param>
    /// <returns>The running step.</returns>
    IJobStep BeginStep(string name);

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
