using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>
/// Tells the store's feed readers when the feed may have grown: at once for this process's commits, through LISTEN for
/// the other instances' (every writer sends a NOTIFY with each commit that recorded changes, LISTEN or not), and
/// otherwise after a while: the poll interval when not listening (LISTEN off, or its connection lost), and a slow
/// safety-net interval while listening, since PostgreSQL delivers every notification to a live listener.
/// </summary>
/// <remarks>
/// A change is readable once every transaction older than its own has ended (<see cref="PgFeed"/>). When changes are known to
/// be stored but not yet readable (held back by an older transaction, maybe not the store's, which sends no
/// notification when it ends), readers look again soon: after 5 ms, then twice as long each time, up to the poll interval.
/// </remarks>
internal sealed class PgDoorbell : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _channel;
    private readonly string _token;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    /// <summary>How long a reader waits without a ring while the listener is connected: only a silently dead connection needs it.</summary>
    private static readonly TimeSpan ListeningPoll = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stop = new();
    private static readonly TimeSpan FirstHeldPoll = TimeSpan.FromMilliseconds(5);

    private readonly Task? _listener;
    private TaskCompletionSource _ring = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _latest;
    private long _pending;
    private long _heldPollTicks = FirstHeldPoll.Ticks;
    private int _listening;

    public PgDoorbell(NpgsqlDataSource dataSource, string channel, string token, PostgreSqlJobStoreOptions options, TimeProvider time, ILogger logger)
    {
        _dataSource = dataSource;
        _channel = channel;
        _token = token;
        _pollInterval = options.PollInterval;
        _time = time;
        _logger = logger;
        if (options.UseListenNotify)
        {
            _listener = Task.Run(ListenAsync);
        }
    }

    /// <summary>Gets the newest readable feed number this process has read.</summary>
    public long Latest => Volatile.Read(ref _latest);

    /// <summary>Notes a commit of this process that recorded changes, up to <paramref name="sequence"/>, and wakes the readers.</summary>
    public void Committed(long sequence)
    {
        Raise(ref _pending, sequence);
        Ring();
    }

    /// <summary>Notes what a read found: the newest readable number, and the newest transaction with changes not yet readable.</summary>
    public void Saw(long sequence, long pendingTransaction)
    {
        if (pendingTransaction > PgFeed.Transaction(sequence))
        {
            Raise(ref _pending, (pendingTransaction << PgFeed.PositionBits) + PgFeed.MaxChangesPerTransaction);
        }

        Saw(sequence);
    }

    /// <summary>Notes a readable feed number seen, and wakes the readers when it is new.</summary>
    public void Saw(long sequence)
    {
        var known = Volatile.Read(ref _latest);
        while (sequence > known)
        {
            var seen = Interlocked.CompareExchange(ref _latest, sequence, known);
            if (seen == known)
            {
                Volatile.Write(ref _heldPollTicks, FirstHeldPoll.Ticks);
                Ring();
                return;
            }

            known = seen;
        }
    }

    /// <summary>Completes when the feed may hold a change above <paramref name="after"/>: at once when known, on a ring, or after the poll interval.</summary>
    public ValueTask WaitAsync(long after, CancellationToken cancellationToken)
    {
        if (Latest > after)
        {
            return ValueTask.CompletedTask;
        }

        var ring = Volatile.Read(ref _ring);

        // Taken first, then checked again: a commit in between either is seen here or rings the bell taken.
        return Latest > after ? ValueTask.CompletedTask : new ValueTask(WaitAsync(ring.Task, HeldPoll(after), cancellationToken));
    }

    private static void Raise(ref long location, long value)
    {
        var known = Volatile.Read(ref location);
        while (value > known)
        {
            var seen = Interlocked.CompareExchange(ref location, value, known);
            if (seen == known)
            {
                return;
            }

            known = seen;
        }
    }

    // Changes above the reader's number are stored but held back: look again soon, backing off, since the transaction
    // holding them back may be one that notifies nobody when it ends.
    private TimeSpan? HeldPoll(long after)
    {
        if (Volatile.Read(ref _pending) <= after)
        {
            return null;
        }

        var ticks = Volatile.Read(ref _heldPollTicks);
        Volatile.Write(ref _heldPollTicks, Math.Min(ticks * 2, _pollInterval.Ticks));
        return TimeSpan.FromTicks(Math.Min(ticks, _pollInterval.Ticks));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.ConfigureAwait(false);
        }

        _stop.Dispose();
        Ring();
    }

    private async Task WaitAsync(Task ring, TimeSpan? heldPoll, CancellationToken cancellationToken)
    {
        try
        {
            var poll = heldPoll ?? (Volatile.Read(ref _listening) != 0 && ListeningPoll > _pollInterval ? ListeningPoll : _pollInterval);
            await ring.WaitAsync(poll, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The poll interval passed: worth reading again.
        }
    }

    private void Ring() => Interlocked.Exchange(ref _ring, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private async Task ListenAsync()
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(_stop.Token).ConfigureAwait(false);
                connection.Notification += (_, e) =>
                {
                    if (!string.Equals(e.Payload, _token, StringComparison.Ordinal))
                    {
                        Ring();
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN \"{_channel}\"", connection))
                {
                    await listen.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
                }

                // Whatever was sent while this connection was down is read now.
                Volatile.Write(ref _listening, 1);
                Ring();
                delay = TimeSpan.FromMilliseconds(100);
                while (true)
                {
                    await connection.WaitAsync(_stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                Volatile.Write(ref _listening, 0);
                return;
            }
#pragma warning disable CA1031 // The doorbell retries for as long as the store is open; readers poll meanwhile.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // Until it listens again, readers poll every poll interval.
                Volatile.Write(ref _listening, 0);
                Log.ListenerLost(_logger, _channel, delay, ex);
                Ring();
                try
                {
                    await Task.Delay(delay, _time, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }
}
