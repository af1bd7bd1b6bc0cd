using System.Runtime.CompilerServices;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.Feed;

/// <summary>The events of <see cref="IJobEvents"/>: each subscription reads the change feed from a position of its own, so it never slows the engine and catches up when it falls behind.</summary>
internal sealed class JobEventHub : IJobEvents
{
    private readonly JobFeed _feed;
    private readonly ILogger _logger;

    public JobEventHub(JobFeed feed, ILogger logger)
    {
        _feed = feed;
        _logger = logger;
    }

    public IJobSubscription Subscribe(Func<JobEvent, ValueTask> handler, JobSubscriptionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new Subscription(this, options);
        subscription.Pump = Task.Run(() => PumpAsync(subscription, handler));
        return subscription;
    }

    public async IAsyncEnumerable<JobEvent> ReadAllAsync(JobSubscriptionOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var subscription = new Subscription(this, options);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, subscription.Token);
        while (true)
        {
            var count = await subscription.NextAsync(linked.Token).ConfigureAwait(false);
            for (var i = 0; i < count; i++)
            {
                if (subscription.TryTake(i, out var e))
                {
                    yield return e;
                }
            }
        }
    }

    internal static JobEvent ToEvent(in JobChange change) => new()
    {
        Sequence = change.Sequence,
        Kind = change.Kind,
        JobId = change.JobId,
        TypeName = change.TypeName,
        DisplayName = change.DisplayName,
        LaunchedBy = change.LaunchedBy,
        PreviousStatus = change.PreviousStatus,
        Status = change.Status,
        Version = change.Version,
        At = change.At,
        Attempt = change.Attempt,
        Error = change.Error,
        Progress = change.Progress,
        WarningCount = change.WarningCount,
        InstanceId = change.InstanceId,
        RunAfter = change.RunAfter,
    };

    private async Task PumpAsync(Subscription subscription, Func<JobEvent, ValueTask> handler)
    {
        // What the handler starts or claims never waits for this subscriber (or another) to read on: it would wait for itself.
        FeedBackpressure.IsHandler = true;
        var token = subscription.Token;
        try
        {
            while (true)
            {
                var count = await subscription.NextAsync(token).ConfigureAwait(false);
                for (var i = 0; i < count; i++)
                {
                    if (!subscription.TryTake(i, out var e))
                    {
                        continue;
                    }

                    if (token.IsCancellationRequested)
                    {
                        return; // unsubscribed: what was read is not delivered
                    }

                    try
                    {
                        await handler(e).ConfigureAwait(false);
                    }
#pragma warning disable CA1031 // A subscriber's failure must never reach the engine or other subscribers.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        Log.SubscriberFailed(_logger, ex, e.JobId, e.Status);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    /// <summary>One reader's position in the feed, read from the cache while it is there and from the store when it is not.</summary>
    private sealed class Subscription : IJobSubscription
    {
        private readonly JobEventHub _hub;
        private readonly JobSubscriptionOptions _options;
        private readonly JobChange[] _buffer;
        private readonly long[] _positions; // where each buffered change sits in the feed's cache, or -1 when read from the store
        private readonly CancellationTokenSource _disposed = new();
        private readonly Task _started;
        private readonly FeedBackpressure.Reader? _hold;
        private long _cursor;
        private long _cacheIndex = -1;
        private long _dropped;

        public Subscription(JobEventHub hub, JobSubscriptionOptions? options)
        {
            options ??= new JobSubscriptionOptions();
            options.Validate();
            _hub = hub;
            _options = options;
            _buffer = new JobChange[Math.Min(options.BufferCapacity, 1024)];
            _positions = new long[_buffer.Length];
            _started = hub._feed.StartAsync();
            _cursor = options.AfterSequence ?? hub._feed.LatestNow();
            if (options.Overflow == JobEventOverflow.Wait && hub._feed.Backpressure is { } backpressure)
            {
                _hold = backpressure.Register(_cursor);
            }
        }

        public Task? Pump { get; set; }

        public CancellationToken Token => _disposed.Token;

        public long DroppedEvents => Interlocked.Read(ref _dropped);

        /// <summary>Reads the next batch of changes after the cursor, waiting for one; the caller takes the matching ones with <see cref="TryTake"/>.</summary>
        public async ValueTask<int> NextAsync(CancellationToken cancellationToken)
        {
            var feed = _hub._feed;
            if (!_started.IsCompletedSuccessfully)
            {
                await _started.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_options.Overflow == JobEventOverflow.DropOldest)
                {
                    var latest = Math.Max(feed.Position, feed.LatestNow());
                    if (latest - _cursor > _options.BufferCapacity)
                    {
                        Drop(latest - _options.BufferCapacity - _cursor);
                        _cursor = latest - _options.BufferCapacity;
                        _cacheIndex = -1;
                    }
                }

                var written = feed.Written;
                var count = feed.ReadCache(ref _cacheIndex, _cursor, _buffer, _positions);
                if (count > 0)
                {
                    _cursor = _buffer[count - 1].Sequence;
                    _hold?.Advance(_cursor);
                    return count;
                }

                if (count < 0)
                {
                    // Fell out of the cache: read the store's own feed from where this reader is.
                    JobFeedRead read;
                    try
                    {
                        read = await feed.Store.ReadFeedAsync(_cursor, _buffer, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.FeedReadFailed(_hub._logger, ex);
                        await feed.DelayAfterFailureAsync(cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    if (read.FirstSequence > _cursor + 1 && read.LatestSequence > _cursor)
                    {
                        var lost = Math.Min(read.FirstSequence, read.LatestSequence + 1) - _cursor - 1;
                        Drop(lost);
                        Log.SubscriberLostEvents(_hub._logger, lost);
                    }

                    if (read.Count > 0)
                    {
                        _positions.AsSpan(0, read.Count).Fill(-1);
                        _cursor = _buffer[read.Count - 1].Sequence;
                        _hold?.Advance(_cursor);
                        _cacheIndex = -1;
                        return read.Count;
                    }

                    _cursor = Math.Max(_cursor, read.LatestSequence);
                    _cacheIndex = -1;
                    continue;
                }

                await feed.WaitForMoreAsync(written, cancellationToken).ConfigureAwait(false);
            }
        }

        public bool TryTake(int index, out JobEvent e)
        {
            ref readonly var change = ref _buffer[index];
            if (!_options.Matches(in change))
            {
                e = null!;
                return false;
            }

            var position = _positions[index];
            e = position >= 0 ? _hub._feed.EventAt(position, in change) : ToEvent(in change);
            return true;
        }

        public void Dispose()
        {
            if (!_disposed.IsCancellationRequested)
            {
                _disposed.Cancel();
                _hold?.Dispose();
            }
        }

        private void Drop(long count)
        {
            Interlocked.Add(ref _dropped, count);
            _hub._feed.CountDropped(count);
        }
    }
}
