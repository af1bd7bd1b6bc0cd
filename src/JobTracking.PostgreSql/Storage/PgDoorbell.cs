using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>
/// Tells the store's feed readers when the feed may have grown: at once for this process's commits, through LISTEN for
/// the other instances' (every writer sends a NOTIFY with each commit that recorded changes, LISTEN or not), and
/// otherwise after a while: the poll interval when not listening (LISTEN off, or its connection lost), and a slow
/// safety-net interval while listening, since PostgreSQL delivers every notification to a live listener.
/// </summary>
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
    private readonly Task? _listener;
    private TaskCompletionSource _ring = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _latest;
    private int _listening;
    private int _ringLater;

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

    /// <summary>Gets the newest feed number this process knows of (from its own commits and its reads).</summary>
    public long Latest => Volatile.Read(ref _latest);

    /// <summary>Notes a feed number seen, and wakes the readers when it is new.</summary>
    public void Saw(long sequence)
    {
        var known = Volatile.Read(ref _latest);
        while (sequence > known)
        {
            var seen = Interlocked.CompareExchange(ref _latest, sequence, known);
            if (seen == known)
            {
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
        return Latest > after ? ValueTask.CompletedTask : new ValueTask(WaitAsync(ring.Task, cancellationToken));
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

    private async Task WaitAsync(Task ring, CancellationToken cancellationToken)
    {
        try
        {
            var poll = Volatile.Read(ref _listening) != 0 && ListeningPoll > _pollInterval ? ListeningPoll : _pollInterval;
            await ring.WaitAsync(poll, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The poll interval passed: worth reading again.
        }
    }

    /// <summary>Wakes the readers once <paramref name="delay"/> has passed (one such wake-up waits at a time).</summary>
    public void RingAfter(TimeSpan delay)
    {
        if (Interlocked.Exchange(ref _ringLater, 1) != 0)
        {
            return;
        }

        ITimer? timer = null;
        timer = _time.CreateTimer(
            _ =>
            {
                Volatile.Write(ref _ringLater, 0);
                Ring();
                timer?.Dispose();
            },
            null,
            delay,
            Timeout.InfiniteTimeSpan);
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
