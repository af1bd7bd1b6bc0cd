using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>
/// The store's writes, batched: whatever writes are waiting go to the server together, as one batch of statements in one
/// round trip and one transaction (one commit), on one of <see cref="PostgreSqlJobStoreOptions.WriteConnections"/>
/// connections, each with its own loop.
/// </summary>
/// <remarks>
/// <para>No lock is held through a commit: while one batch waits for its commit to be flushed, the next batch is sent on
/// another connection, and the batches of every instance commit at the same time and share the server's flushes (group
/// commit). The changes a batch records are stored unnumbered; after its commit, a short numbering step of its own numbers
/// every committed change waiting (<see cref="PgStatements.AddNumbering"/>), and only then do the batch's callers hear of
/// their writes, so a caller that reads the feed next finds its changes. A loop does not wait for that step: it sends its
/// next batch while the step runs on a connection of its own, so a batch's commit, the step that numbers the batch before
/// it and the callers' next writes overlap. Concurrency keys are kept by a unique index
/// (job_key_holds) and cluster-wide type limits by a lock only the claims that need it take.</para>
/// <para>A call completes only once its batch has committed. When a batch fails for a reason other than a lost
/// connection, its writes are tried again one by one, so one bad write fails alone.</para>
/// </remarks>
internal sealed class PgWriter : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PgStatements _sql;
    private readonly Channel<PgWrite> _queue = Channel.CreateUnbounded<PgWrite>();
    private readonly int _maxBatch;
    private readonly string _channel;
    private readonly string _token;
    private readonly long _feedRetention;
    private readonly ILogger _logger;
    private readonly Task[] _loops;
    private int _feedBatches;
    private readonly TimeProvider _time;
    private long _lastNumbered;

    // Numbering steps of this process, one at a time: a batch that committed takes a ticket, and waits for a step that
    // began after it took it; a step serves every ticket taken before it began. So the loops' steps collapse into one
    // while one runs, instead of each waiting for the numbering lock and flushing a commit of its own.
    private readonly Lock _numberingGate = new();
    private long _ticketsTaken;
    private long _ticketsServed;
    private Task? _numbering;

    // Batches committed whose callers wait for a numbering step; the writer is closed once none is left.
    private int _awaitingNumbers;
    private readonly TaskCompletionSource _numbersDrained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _loopsEnded;

    public PgWriter(NpgsqlDataSource dataSource, PgStatements sql, PostgreSqlJobStoreOptions options, string token, TimeProvider time, ILogger logger)
    {
        _time = time;
        _dataSource = dataSource;
        _sql = sql;
        _maxBatch = options.MaxWriteBatch;
        _channel = sql.Channel;
        _token = token;
        _feedRetention = options.FeedRetention;
        _logger = logger;
        _loops = new Task[options.WriteConnections];
        for (var i = 0; i < _loops.Length; i++)
        {
            _loops[i] = Task.Run(() => new Loop(this).RunAsync());
        }
    }

    /// <summary>Called after a numbering step, with the newest feed sequence number.</summary>
    public Action<long>? FeedCommitted { get; init; }

    /// <summary>Queues a write and waits for its batch to commit.</summary>
    public Task<T> WriteAsync<T>(PgWrite<T> write, CancellationToken cancellationToken)
    {
        write.Token = cancellationToken;
        if (!_queue.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(PostgreSqlJobStore), "The PostgreSQL job store is closed.");
        }

        return write.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        // Both sides write with a full fence before they read the other's field, so one of them sees both done.
        Interlocked.Exchange(ref _loopsEnded, 1);
        if (Volatile.Read(ref _awaitingNumbers) == 0)
        {
            _numbersDrained.TrySetResult();
        }

        await _numbersDrained.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Numbers the committed changes that wait for their numbers, for a reader that found some while this process had not
    /// numbered any for a while (their writer may have died between its commit and its numbering step).
    /// </summary>
    /// <returns><see langword="false"/> when this process numbered within <see cref="IdleNumbering"/> (nothing done now).</returns>
    public async Task<bool> NumberIfIdleAsync(CancellationToken cancellationToken)
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _lastNumbered)) < IdleNumbering)
        {
            return false;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await NumberAsync(connection).ConfigureAwait(false);
        return true;
    }

    /// <summary>How long after its last numbering step this process leaves changes found waiting to the other instances' steps.</summary>
    public static readonly TimeSpan IdleNumbering = TimeSpan.FromMilliseconds(250);

    /// <summary>Returns once a numbering step that began after this call has ended (the caller's changes, committed before it, have their numbers).</summary>
    public async Task NumberCommittedAsync()
    {
        var ticket = Interlocked.Increment(ref _ticketsTaken);
        while (Volatile.Read(ref _ticketsServed) < ticket)
        {
            Task step;
            lock (_numberingGate)
            {
                if (_numbering is null or { IsCompleted: true })
                {
                    _numbering = StepAsync(Volatile.Read(ref _ticketsTaken));
                }

                step = _numbering;
            }

            try
            {
                await step.ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The writes committed: their callers hear so; a later step (or a reader) numbers their changes.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.NumberingFailed(_logger, ex);
                return;
            }
        }
    }

    // A step runs on a pooled connection of its own, so that the loop whose batch asked for it sends its next batch meanwhile.
    private async Task StepAsync(long serves)
    {
        await Task.Yield();
        await using (var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false))
        {
            await NumberAsync(connection).ConfigureAwait(false);
        }

        long served;
        while ((served = Volatile.Read(ref _ticketsServed)) < serves && Interlocked.CompareExchange(ref _ticketsServed, serves, served) != served)
        {
        }
    }

    /// <summary>The numbering step on <paramref name="connection"/>, a transaction of its own; tells the doorbell the newest number.</summary>
    private async Task NumberAsync(NpgsqlConnection connection)
    {
        await using var commands = connection.CreateBatch();
        _sql.AddNumbering(commands, _token);
        long latest;
        await using (var reader = await commands.ExecuteReaderAsync().ConfigureAwait(false))
        {
            await reader.NextResultAsync().ConfigureAwait(false);
            await reader.ReadAsync().ConfigureAwait(false);
            latest = reader.GetInt64(0);
            while (await reader.NextResultAsync().ConfigureAwait(false))
            {
            }
        }

        Volatile.Write(ref _lastNumbered, _time.GetTimestamp());
        FeedCommitted?.Invoke(latest);
    }

    /// <summary>Hands the writes of a committed batch that recorded changes to their callers once a numbering step has numbered those changes; the loop goes on meanwhile.</summary>
    private void CompleteWhenNumbered(PgWrite[] writes)
    {
        Interlocked.Increment(ref _awaitingNumbers);
        _ = CompleteAsync();

        async Task CompleteAsync()
        {
            try
            {
                await NumberCommittedAsync().ConfigureAwait(false);
            }
            finally
            {
                foreach (var write in writes)
                {
                    write.Complete();
                }

                if (Interlocked.Decrement(ref _awaitingNumbers) == 0 && Volatile.Read(ref _loopsEnded) == 1)
                {
                    _numbersDrained.TrySetResult();
                }
            }
        }
    }

    /// <summary>One connection and the batches sent on it, one at a time.</summary>
    private sealed class Loop(PgWriter writer)
    {
        private NpgsqlConnection? _connection;

        public async Task RunAsync()
        {
            try
            {
                var batch = new List<PgWrite>(64);
                var reader = writer._queue.Reader;
                while (await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    while (batch.Count < writer._maxBatch && reader.TryRead(out var write))
                    {
                        if (write.Token.IsCancellationRequested)
                        {
                            write.Cancel();
                        }
                        else
                        {
                            batch.Add(write);
                        }
                    }

                    if (batch.Count == 0)
                    {
                        continue;
                    }

                    await RunAsync(batch).ConfigureAwait(false);
                    batch.Clear();
                }
            }
            finally
            {
                if (_connection is not null)
                {
                    await _connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        private async Task RunAsync(List<PgWrite> batch)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    if (await ExecuteAsync(batch).ConfigureAwait(false))
                    {
                        writer.CompleteWhenNumbered([.. batch]);
                    }
                    else
                    {
                        foreach (var write in batch)
                        {
                            write.Complete();
                        }
                    }

                    return;
                }
                catch (PostgresException ex) when (IsRolledBackRace(ex) && attempt < MaxRaceRetries)
                {
                    // The server chose this transaction as a deadlock's (or a serialization race's) victim and rolled it
                    // back whole: nothing of the batch is stored, so the same batch is run again.
                    Log.BatchRetried(writer._logger, batch.Count, attempt, ex);
                    foreach (var write in batch)
                    {
                        write.Reset();
                    }
                }
#pragma warning disable CA1031 // Every failure goes to the callers whose writes were in the batch.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    if (await FailOrSplitAsync(batch, ex).ConfigureAwait(false))
                    {
                        return;
                    }

                    break;
                }
            }

            await RunEachAloneAsync(batch).ConfigureAwait(false);
        }

        // Fails every write of the batch (true), or says the batch is to be split into single writes (false).
        private async Task<bool> FailOrSplitAsync(List<PgWrite> batch, Exception ex)
        {
            await DropConnectionIfBrokenAsync().ConfigureAwait(false);
            if (batch.Count == 1 || IsConnectionLoss(ex))
            {
                // A lost connection may or may not have committed; every caller hears of it and may try again.
                foreach (var write in batch)
                {
                    write.Fail(ex);
                }

                return true;
            }

            Log.BatchSplit(writer._logger, batch.Count, ex);
            return false;
        }

        // One write of the batch is bad (say, text the server refuses): each write alone, so it fails alone.
        private async Task RunEachAloneAsync(List<PgWrite> batch)
        {
            var single = new List<PgWrite>(1) { null! };
            foreach (var write in batch)
            {
                write.Reset();
                single[0] = write;
                try
                {
                    if (await ExecuteAsync(single).ConfigureAwait(false))
                    {
                        writer.CompleteWhenNumbered([write]);
                    }
                    else
                    {
                        write.Complete();
                    }
                }
#pragma warning disable CA1031 // The failure goes to the caller.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    await DropConnectionIfBrokenAsync().ConfigureAwait(false);
                    write.Fail(ex);
                }
            }
        }

        // Runs the batch in one transaction; true when it stored changes, whose callers hear of them once they are numbered.
        private async Task<bool> ExecuteAsync(List<PgWrite> batch)
        {
            var sql = writer._sql;

            // A connection broken since its last batch (its numbering step failed, say) is replaced before it is used.
            await DropConnectionIfBrokenAsync().ConfigureAwait(false);
            var connection = _connection ??= await writer._dataSource.OpenConnectionAsync().ConfigureAwait(false);
            var statements = Statements(batch);
            await using var commands = connection.CreateBatch();
            var recordsChanges = false;
            var claimLock = false;
            var queueLock = PgQueueLock.None;
            foreach (var write in batch)
            {
                recordsChanges |= write.RecordsChanges;
                claimLock |= write.TakesClaimLock;
                queueLock = write.QueueLock > queueLock ? write.QueueLock : queueLock;
            }

            commands.BatchCommands.Add(sql.Begin(queueLock, claimLock));
            foreach (var (group, writes) in statements)
            {
                if (group is null)
                {
                    writes[0].AddTo(commands, sql);
                }
                else
                {
                    group.AddTo(commands, sql, writes);
                }
            }

            // Now and then, the feed trimmed to its retention and the counts' deltas folded together.
            var trim = recordsChanges && Interlocked.Increment(ref writer._feedBatches) % 64 == 0;
            if (trim)
            {
                commands.BatchCommands.Add(sql.TrimFeed(writer._feedRetention));
                commands.BatchCommands.Add(sql.FoldCounts());
            }

            if (recordsChanges)
            {
                commands.BatchCommands.Add(sql.Pending());
            }

            var pending = false;
            await using (var reader = await commands.ExecuteReaderAsync().ConfigureAwait(false))
            {
                // The reader stands on the first statement's result (the settings); each NextResultAsync moves on one.
                foreach (var (group, writes) in statements)
                {
                    await reader.NextResultAsync().ConfigureAwait(false);
                    if (group is null)
                    {
                        await writes[0].ReadAsync(reader).ConfigureAwait(false);
                    }
                    else
                    {
                        await group.ReadAsync(reader, writes).ConfigureAwait(false);
                    }
                }

                if (trim)
                {
                    await reader.NextResultAsync().ConfigureAwait(false);
                    await reader.NextResultAsync().ConfigureAwait(false);
                }

                if (recordsChanges)
                {
                    await reader.NextResultAsync().ConfigureAwait(false);
                    await reader.ReadAsync().ConfigureAwait(false);
                    pending = reader.GetBoolean(0);
                }

                // Reading to the end waits for the commit: nobody hears of a write before it is durable.
                while (await reader.NextResultAsync().ConfigureAwait(false))
                {
                }
            }

            return pending;
        }

        private async Task DropConnectionIfBrokenAsync()
        {
            if (_connection is { } connection && connection.FullState != System.Data.ConnectionState.Open)
            {
                _connection = null;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The batch as statements: the writes of one kind share a statement, except that a job changes at most once per
    /// statement (a second write of the same job goes to a later one, and sees the first's effect). Writes in one batch
    /// were made concurrently, so any order among them is one their callers could have seen.
    /// </summary>
    private static List<(PgGroupKind? Group, List<PgWrite> Writes)> Statements(List<PgWrite> batch)
    {
        var statements = new List<(PgGroupKind? Group, List<PgWrite> Writes)>(Math.Min(batch.Count, 8));
        Dictionary<PgGroupKind, List<(HashSet<Guid> Jobs, List<PgWrite> Writes)>>? open = null;
        foreach (var write in batch)
        {
            if (write.Group is not { } group)
            {
                statements.Add((null, [write]));
                continue;
            }

            open ??= [];
            if (!open.TryGetValue(group, out var groups))
            {
                open[group] = groups = [];
            }

            var placed = false;
            foreach (var (jobs, writes) in groups)
            {
                if (write.GroupJobId is not { } job || jobs.Add(job))
                {
                    writes.Add(write);
                    placed = true;
                    break;
                }
            }

            if (!placed)
            {
                var writes = new List<PgWrite> { write };
                groups.Add((write.GroupJobId is { } job ? [job] : [], writes));
                statements.Add((group, writes));
            }
        }

        return statements;
    }

    // How many times a batch the server rolled back as a deadlock's or a serialization race's victim is run again.
    private const int MaxRaceRetries = 5;

    private static bool IsRolledBackRace(PostgresException ex) => ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure;

    private static bool IsConnectionLoss(Exception ex) => ex is NpgsqlException { IsTransient: true } or TimeoutException or IOException;
}
