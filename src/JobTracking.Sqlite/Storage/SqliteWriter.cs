using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace JobTracking.Sqlite.Storage;

/// <summary>
/// The one connection that writes. Writes queue up here and a single loop runs whatever has queued in one
/// transaction (group commit); a write of several statements runs in a savepoint of its own so one failing write leaves
/// the others, a write of one statement needs none (SQLite undoes a failed statement by itself).
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite connections are not thread-safe and SQLite allows one writer at a time anyway, so one
/// loop owning the connection is both the lock and the batching point: with synchronous FULL, twenty
/// concurrent transitions cost one disk flush instead of twenty. A caller's task completes only after the
/// transaction holding its write has committed, so a returned call is a durable write.
/// </remarks>
internal sealed class SqliteWriter : IAsyncDisposable
{
    private readonly Channel<WriteOperation> _queue = Channel.CreateUnbounded<WriteOperation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly SqliteStatement _begin;
    private readonly SqliteStatement _commit;
    private readonly SqliteStatement _rollback;
    private readonly SqliteStatement _savepoint;
    private readonly SqliteStatement _release;
    private readonly SqliteStatement _rollbackToSavepoint;
    private readonly int _maxBatch;
    private readonly TimeSpan _delay;
    private readonly TimeProvider _time;
    private readonly Task _loop;

    public SqliteWriter(SqliteWriteSession session, int maxBatch, TimeSpan delay, TimeProvider time)
    {
        _maxBatch = maxBatch;
        _delay = delay;
        _time = time;
        _connection = session.Connection;
        Session = session;
        _begin = new SqliteStatement(_connection, "BEGIN IMMEDIATE");
        _commit = new SqliteStatement(_connection, "COMMIT");
        _rollback = new SqliteStatement(_connection, "ROLLBACK");
        _savepoint = new SqliteStatement(_connection, "SAVEPOINT op");
        _release = new SqliteStatement(_connection, "RELEASE op");
        _rollbackToSavepoint = new SqliteStatement(_connection, "ROLLBACK TO op");
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Gets the state that write operations use: the connection and its prepared commands.</summary>
    public SqliteWriteSession Session { get; }

    /// <summary>Queues a write and completes when the transaction holding it has committed; the write runs in a savepoint of its own when it shares its transaction.</summary>
    public Task<TResult> WriteAsync<TState, TResult>(TState state, Func<SqliteWriteSession, TState, TResult> write, CancellationToken cancellationToken) =>
        Enqueue(new WriteOperation<TState, TResult>(state, write, oneStatement: false, cancellationToken));

    /// <summary>
    /// Queues a write that changes the file with at most one statement (reads before it are fine), and completes when the
    /// transaction holding it has committed. SQLite undoes a failed statement by itself, so such a write needs no savepoint
    /// to leave the other writes of its transaction as they are.
    /// </summary>
    public Task<TResult> WriteOneAsync<TState, TResult>(TState state, Func<SqliteWriteSession, TState, TResult> write, CancellationToken cancellationToken) =>
        Enqueue(new WriteOperation<TState, TResult>(state, write, oneStatement: true, cancellationToken));

    private Task<TResult> Enqueue<TResult>(WriteOperation<TResult> operation)
    {
        if (!_queue.Writer.TryWrite(operation))
        {
            throw new ObjectDisposedException(nameof(SqliteJobStore), "The SQLite job store is closed.");
        }

        return operation.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        foreach (var command in new[] { _begin, _commit, _rollback, _savepoint, _release, _rollbackToSavepoint })
        {
            command.Dispose();
        }
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<WriteOperation>(Math.Min(_maxBatch, 256));
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            Fill(batch);
            if (_delay > TimeSpan.Zero && batch.Count < _maxBatch)
            {
                await WaitForMoreAsync(batch).ConfigureAwait(false);
            }

            RunBatch(batch);
            batch.Clear();
        }
    }

    private void Fill(List<WriteOperation> batch)
    {
        var reader = _queue.Reader;
        while (batch.Count < _maxBatch && reader.TryRead(out var operation))
        {
            batch.Add(operation);
        }
    }

    // WriteDelay: more writes join the batch until it is full or the delay has passed since the first one was taken.
    private async ValueTask WaitForMoreAsync(List<WriteOperation> batch)
    {
        using var delay = new CancellationTokenSource(_delay, _time);
        try
        {
            while (batch.Count < _maxBatch && await _queue.Reader.WaitToReadAsync(delay.Token).ConfigureAwait(false))
            {
                Fill(batch);
            }
        }
        catch (OperationCanceledException) when (delay.IsCancellationRequested)
        {
            Fill(batch);
        }
    }

    private void RunBatch(List<WriteOperation> batch)
    {
        // A write alone in its transaction needs no savepoint: if it fails, the whole transaction is rolled back. Nor
        // does a write of one statement: SQLite makes each statement atomic, so a failed one leaves nothing behind.
        var alone = batch.Count == 1;
        try
        {
            _begin.Execute();
            foreach (var operation in batch)
            {
                if (operation.CancellationToken.IsCancellationRequested)
                {
                    operation.Cancel();
                    continue;
                }

                var guarded = !alone && !operation.OneStatement;
                if (guarded)
                {
                    _savepoint.Execute();
                }

                try
                {
                    operation.Execute(Session);
                }
#pragma warning disable CA1031 // The failure goes to the caller whose write it was; the others' writes stay.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    operation.Fail(ex);
                    Session.RolledBack();
                    if (alone || !InTransaction())
                    {
                        // Alone, or SQLite rolled the whole transaction back (disk full, I/O error): nothing of it is kept.
                        TryRollback();
                        Session.FeedTouched = false;
                        FailAll(batch, ex);
                        return;
                    }

                    if (guarded)
                    {
                        _rollbackToSavepoint.Execute();
                    }
                }

                if (guarded)
                {
                    _release.Execute();
                }
            }

            if (Session.IsTrimDue())
            {
                TrimFeed();
            }

            if (Session.FeedTouched)
            {
                Session.NoteFeedEnd();
            }

            _commit.Execute();
        }
#pragma warning disable CA1031 // Nothing of the batch was stored: every caller hears of it, and the loop goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            TryRollback();
            Session.FeedTouched = false;
            Session.RolledBack();
            FailAll(batch, ex);
            return;
        }

        if (Session.FeedTouched)
        {
            Session.PublishFeedEnd();
        }

        foreach (var operation in batch)
        {
            operation.Complete();
        }
    }

    // Trimming is housekeeping: if it fails, the batch's writes still commit, and the next trim tries again.
    private void TrimFeed()
    {
        _savepoint.Execute();
        try
        {
            Session.TrimFeed();
        }
#pragma warning disable CA1031 // See above: never at the cost of the callers' writes.
        catch (SqliteException)
#pragma warning restore CA1031
        {
            if (InTransaction())
            {
                _rollbackToSavepoint.Execute();
            }
        }

        if (InTransaction())
        {
            _release.Execute();
        }
    }

    // An operation that already failed or was cancelled keeps its own outcome.
    private static void FailAll(List<WriteOperation> batch, Exception ex)
    {
        foreach (var operation in batch)
        {
            operation.Fail(ex);
        }
    }

    private void TryRollback()
    {
        try
        {
            if (InTransaction())
            {
                _rollback.Execute();
            }
        }
#pragma warning disable CA1031 // The connection is closed or broken; the next BEGIN reports it.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private bool InTransaction() => raw.sqlite3_get_autocommit(_connection.Handle) == 0;

    private abstract class WriteOperation(bool oneStatement, CancellationToken cancellationToken)
    {
        public CancellationToken CancellationToken { get; } = cancellationToken;

        public bool OneStatement { get; } = oneStatement;

        public abstract void Execute(SqliteWriteSession session);

        public abstract void Complete();

        public abstract void Fail(Exception exception);

        public abstract void Cancel();
    }

    private abstract class WriteOperation<TResult>(bool oneStatement, CancellationToken cancellationToken) : WriteOperation(oneStatement, cancellationToken)
    {
        private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<TResult> Task => _completion.Task;

        protected TResult? Result { get; set; }

        public override void Complete() => _completion.TrySetResult(Result!);

        public override void Fail(Exception exception) => _completion.TrySetException(exception);

        public override void Cancel() => _completion.TrySetCanceled(CancellationToken);
    }

    private sealed class WriteOperation<TState, TResult>(TState state, Func<SqliteWriteSession, TState, TResult> write, bool oneStatement, CancellationToken cancellationToken)
        : WriteOperation<TResult>(oneStatement, cancellationToken)
    {
        public override void Execute(SqliteWriteSession session) => Result = write(session, state);
    }
}
