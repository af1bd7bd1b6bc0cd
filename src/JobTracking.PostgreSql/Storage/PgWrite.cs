using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>One write waiting for the writer: the statement it adds to a batch, how it reads its result, and its caller.</summary>
internal abstract class PgWrite
{
    /// <summary>Gets whether the write may record changes in the feed (so the batch notifies the other instances).</summary>
    public abstract bool RecordsChanges { get; }

    /// <summary>Gets whether the write's transaction must hold the claim lock (a claim limited by the cluster's type limits).</summary>
    public virtual bool TakesClaimLock => false;

    /// <summary>Gets how the write's transaction takes the queue lock.</summary>
    public virtual PgQueueLock QueueLock => PgQueueLock.None;

    /// <summary>Gets whether the write may be made in the application's own transaction (a start, a draft's edit, a command, a journal entry); the others (claims, leases, reclaims) always go through the store's writer.</summary>
    public virtual bool FitsApplicationTransaction => false;

    /// <summary>Gets or sets the caller's token: a write cancelled before it is sent is dropped.</summary>
    public CancellationToken Token { get; set; }

    /// <summary>Gets the kind of statement that writes this write together with others of its kind, or <see langword="null"/> for a write of its own statement.</summary>
    public virtual PgGroupKind? Group => null;

    /// <summary>Gets the job a grouped write changes: one statement changes a job at most once, so a second write of the same job goes to the next statement. <see langword="null"/> when writes of one job may share a statement.</summary>
    public virtual Guid? GroupJobId => null;

    /// <summary>Adds the write's one statement to the batch (a write without a <see cref="Group"/>).</summary>
    public virtual void AddTo(NpgsqlBatch batch, PgStatements sql) => throw new InvalidOperationException("A grouped write is added by its group.");

    /// <summary>Reads the statement's result set, on which the reader stands (a write without a <see cref="Group"/>).</summary>
    public virtual ValueTask ReadAsync(NpgsqlDataReader reader) => throw new InvalidOperationException("A grouped write is read by its group.");

    /// <summary>Hands the result read to the caller, once the batch has committed.</summary>
    public abstract void Complete();

    /// <summary>Forgets a result read from a batch that then failed, before the write is tried again alone.</summary>
    public abstract void Reset();

    public abstract void Fail(Exception exception);

    public abstract void Cancel();
}

/// <summary>A write whose caller waits for a <typeparamref name="T"/>.</summary>
internal abstract class PgWrite<T> : PgWrite
{
    private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;
    private Exception? _error;

    public Task<T> Task => _done.Task;

    public override async ValueTask ReadAsync(NpgsqlDataReader reader)
    {
        try
        {
            _result = await ReadResultAsync(reader).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or JobTrackingException)
        {
            // The caller's error (an id that exists, a malformed row); the batch itself goes on.
            _error = ex;
        }
    }

    /// <summary>Sets the result a group read for this write.</summary>
    public void SetResult(T result) => _result = result;

    /// <summary>Sets the caller's error a group found for this write (an id that exists).</summary>
    public void SetError(Exception error) => _error = error;

    public sealed override void Complete()
    {
        if (_error is not null)
        {
            _done.TrySetException(_error);
        }
        else
        {
            _done.TrySetResult(_result!);
        }
    }

    public sealed override void Reset()
    {
        _result = default;
        _error = null;
    }

    public sealed override void Fail(Exception exception) => _done.TrySetException(exception);

    public sealed override void Cancel() => _done.TrySetCanceled(Token);

    protected virtual ValueTask<T> ReadResultAsync(NpgsqlDataReader reader) => throw new InvalidOperationException("A grouped write is read by its group.");
}

/// <summary>A kind of statement that writes many writes of one kind at once (arrays bound as parameters, <c>unnest</c> in SQL).</summary>
internal abstract class PgGroupKind
{
    /// <summary>Adds one statement for all <paramref name="writes"/>.</summary>
    public abstract void AddTo(NpgsqlBatch batch, PgStatements sql, List<PgWrite> writes);

    /// <summary>Reads the statement's result set and sets each write's result.</summary>
    public abstract ValueTask ReadAsync(NpgsqlDataReader reader, List<PgWrite> writes);
}
