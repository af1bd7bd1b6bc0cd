using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>One write waiting for the writer: the statement it adds to a batch, how it reads its result, and its caller.</summary>
internal abstract class PgWrite
{
    /// <summary>Gets whether the write may record changes in the feed (so the batch notifies the other instances).</summary>
    public abstract bool RecordsChanges { get; }

    /// <summary>Gets or sets the caller's token: a write cancelled before it is sent is dropped.</summary>
    public CancellationToken Token { get; set; }

    /// <summary>Adds the write's one statement to the batch.</summary>
    public abstract void AddTo(NpgsqlBatch batch, PgStatements sql);

    /// <summary>Reads the statement's result set, on which the reader stands.</summary>
    public abstract ValueTask ReadAsync(NpgsqlDataReader reader);

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

    public sealed override async ValueTask ReadAsync(NpgsqlDataReader reader)
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

    protected abstract ValueTask<T> ReadResultAsync(NpgsqlDataReader reader);
}
