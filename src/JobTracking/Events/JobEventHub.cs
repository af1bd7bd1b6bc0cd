using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobTracking.Events;

/// <summary>Fans every event out to the subscriptions, each with its own bounded buffer.</summary>
internal sealed class JobEventHub : IJobEvents, IDisposable
{
    private readonly ILogger _logger;
    private Subscription[] _subscriptions = [];
    private long _droppedEvents;

    public JobEventHub(ILoggerFactory? loggerFactory = null)
    {
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<JobEventHub>();
    }

    /// <summary>Gets whether anyone listens; checked before an event is built, so publishing to nobody costs one read.</summary>
    public bool HasSubscribers => Volatile.Read(ref _subscriptions).Length != 0;

    /// <summary>Gets the events dropped by every subscription so far.</summary>
    public long DroppedEvents => Interlocked.Read(ref _droppedEvents);

    public IJobSubscription Subscribe(Func<JobEvent, ValueTask> handler, JobSubscriptionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = Add(options);
        subscription.Pump = Task.Run(() => PumpAsync(subscription, handler));
        return subscription;
    }

    public async IAsyncEnumerable<JobEvent> ReadAllAsync(JobSubscriptionOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var subscription = Add(options);
        var reader = subscription.Channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var e))
            {
                yield return e;
            }
        }
    }

    public ValueTask PublishAsync(JobEvent e)
    {
        var subscriptions = Volatile.Read(ref _subscriptions);
        for (var i = 0; i < subscriptions.Length; i++)
        {
            var subscription = subscriptions[i];
            if (subscription.Options.Matches(e) && !subscription.Channel.Writer.TryWrite(e)
                && subscription.Options.Overflow == JobEventOverflow.Wait)
            {
                return WaitAndPublishRestAsync(subscriptions, i, e);
            }
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        foreach (var subscription in Interlocked.Exchange(ref _subscriptions, []))
        {
            subscription.Channel.Writer.TryComplete();
        }
    }

    private static async ValueTask WaitAndPublishRestAsync(Subscription[] subscriptions, int from, JobEvent e)
    {
        for (var i = from; i < subscriptions.Length; i++)
        {
            var subscription = subscriptions[i];
            if (!subscription.Options.Matches(e) || subscription.Channel.Writer.TryWrite(e))
            {
                continue;
            }

            if (subscription.Options.Overflow == JobEventOverflow.Wait)
            {
                try
                {
                    await subscription.Channel.Writer.WriteAsync(e).ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    // The subscriber left while we waited for room.
                }
            }
        }
    }

    private Subscription Add(JobSubscriptionOptions? options)
    {
        options ??= new JobSubscriptionOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BufferCapacity, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BufferCapacity, 1_000_000, nameof(options));
        var subscription = new Subscription(this, options);
        while (true)
        {
            var current = Volatile.Read(ref _subscriptions);
            if (Interlocked.CompareExchange(ref _subscriptions, [.. current, subscription], current) == current)
            {
                return subscription;
            }
        }
    }

    private void Remove(Subscription subscription)
    {
        while (true)
        {
            var current = Volatile.Read(ref _subscriptions);
            var index = Array.IndexOf(current, subscription);
            if (index < 0)
            {
                return;
            }

            var next = new Subscription[current.Length - 1];
            current.AsSpan(0, index).CopyTo(next);
            current.AsSpan(index + 1).CopyTo(next.AsSpan(index));
            if (Interlocked.CompareExchange(ref _subscriptions, next, current) == current)
            {
                return;
            }
        }
    }

    private async Task PumpAsync(Subscription subscription, Func<JobEvent, ValueTask> handler)
    {
        var reader = subscription.Channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var e))
            {
                if (subscription.IsDisposed)
                {
                    return; // unsubscribed: what was still buffered is not delivered
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

    private sealed class Subscription : IJobSubscription
    {
        private readonly JobEventHub _hub;
        private long _dropped;
        private int _disposed;

        public Subscription(JobEventHub hub, JobSubscriptionOptions options)
        {
            _hub = hub;
            Options = options;
            var channelOptions = new BoundedChannelOptions(options.BufferCapacity)
            {
                SingleReader = true,
                SingleWriter = false,
                FullMode = options.Overflow == JobEventOverflow.Wait ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest,
            };
            Channel = System.Threading.Channels.Channel.CreateBounded<JobEvent>(channelOptions, _ =>
            {
                Interlocked.Increment(ref _dropped);
                Interlocked.Increment(ref _hub._droppedEvents);
            });
        }

        public JobSubscriptionOptions Options { get; }

        public Channel<JobEvent> Channel { get; }

        public Task? Pump { get; set; }

        public long DroppedEvents => Interlocked.Read(ref _dropped);

        public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        public void Dispose()
        {
            Volatile.Write(ref _disposed, 1);
            _hub.Remove(this);
            Channel.Writer.TryComplete();
        }
    }
}
