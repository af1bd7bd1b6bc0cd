using Microsoft.Extensions.Logging;

namespace JobTracking.Feed;

/// <summary>
/// Holds new work back while a <see cref="JobEventOverflow.Wait"/> subscriber is close to a ring behind, on a store
/// whose change feed is only a ring of its latest changes (the in-memory store): a start or a claim waits for the
/// subscriber to read on, rather than the ring overwriting what it has not read.
/// </summary>
/// <remarks>
/// <para>Only new work waits (creates and claims): they make nearly all of a busy feed's changes, and nothing is held
/// while they wait. What jobs already running write meanwhile (their final status, progress) goes on, into the last
/// eighth of the ring kept for it. Changes written by a subscriber's own handler never wait: they would wait for
/// themselves.</para>
/// <para>The wait is bounded: past <see cref="WaitLimit"/> the slowest subscriber is let go (writers no longer wait for
/// it until it reads again), its loss is counted in <c>DroppedEvents</c> and logged, so a handler that never returns
/// slows the engine for at most that long.</para>
/// </remarks>
internal sealed class FeedBackpressure
{
    /// <summary>How long new work waits at most for one lagging subscriber.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(5);

    private static readonly AsyncLocal<bool> InHandler = new();

    private readonly JobFeed _feed;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _room;
    private readonly Lock _lock = new();
    private Reader[] _readers = [];
    private long _limit = long.MaxValue; // the head may reach this without a look at the readers
    private TaskCompletionSource? _moved;
    private int _waiting;

    public FeedBackpressure(JobFeed feed, int ringCapacity, TimeProvider time, ILogger logger)
    {
        _feed = feed;
        _time = time;
        _logger = logger;
        _room = ringCapacity - (ringCapacity / 8);
    }

    /// <summary>Gets or sets whether the current async flow is a subscriber's handler, whose writes never wait.</summary>
    public static bool IsHandler
    {
        get => InHandler.Value;
        set => InHandler.Value = value;
    }

    /// <summary>Registers a subscriber that must not be overtaken, at <paramref name="position"/>; dispose it when the subscriber ends.</summary>
    public Reader Register(long position)
    {
        // A subscriber that starts further back than the ring holds has lost those changes already: it is held to from the ring's start.
        var reader = new Reader(this, Math.Max(position, _feed.LatestNow() - _room));
        lock (_lock)
        {
            _readers = [.. _readers, reader];
            Volatile.Write(ref _limit, ComputeLimit());
        }

        return reader;
    }

    /// <summary>Completes at once unless the feed's head plus <paramref name="changes"/> would overtake a registered subscriber; then waits for it to read on, at most <see cref="WaitLimit"/>.</summary>
    public ValueTask WaitForRoomAsync(int changes, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _readers).Length == 0 || IsHandler)
        {
            return ValueTask.CompletedTask;
        }

        changes = (int)Math.Min(changes, _room / 2); // a batch larger than the ring waits only for half a ring of room

        return _feed.LatestNow() + changes <= Volatile.Read(ref _limit) ? ValueTask.CompletedTask : new ValueTask(WaitAsync(changes, cancellationToken));
    }

    private async Task WaitAsync(int changes, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        Interlocked.Increment(ref _waiting);
        try
        {
            while (true)
            {
                var moved = Moved();
                long limit;
                lock (_lock)
                {
                    limit = ComputeLimit();
                    Volatile.Write(ref _limit, limit);
                }

                if (_feed.LatestNow() + changes <= limit)
                {
                    return;
                }

                var left = WaitLimit - _time.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    LetSlowestGo();
                    started = _time.GetTimestamp();
                    continue;
                }

                // Woken when a subscriber reads on, or, as a safety net, after a short pause on the host's clock.
                using var pause = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var delay = Task.Delay(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100), _time, pause.Token);
                await Task.WhenAny(moved, delay).ConfigureAwait(false);
                await pause.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private Task Moved()
    {
        var moved = Volatile.Read(ref _moved);
        if (moved is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            moved = Interlocked.CompareExchange(ref _moved, created, null) ?? created;
        }

        return moved.Task;
    }

    private void OnMoved()
    {
        if (Volatile.Read(ref _waiting) != 0)
        {
            Interlocked.Exchange(ref _moved, null)?.TrySetResult();
        }
    }

    private void LetSlowestGo()
    {
        Reader? slowest = null;
        lock (_lock)
        {
            foreach (var reader in _readers)
            {
                if (!reader.IsLetGo && (slowest is null || reader.Position < slowest.Position))
                {
                    slowest = reader;
                }
            }

            slowest?.LetGo();
            Volatile.Write(ref _limit, ComputeLimit());
        }

        if (slowest is not null)
        {
            Log.SubscriberLetGo(_logger, slowest.Position, WaitLimit);
        }
    }

    // Under _lock.
    private long ComputeLimit()
    {
        var slowest = long.MaxValue;
        foreach (var reader in _readers)
        {
            if (!reader.IsLetGo)
            {
                slowest = Math.Min(slowest, reader.Position);
            }
        }

        return slowest == long.MaxValue ? long.MaxValue : slowest + _room;
    }

    private void Remove(Reader reader)
    {
        lock (_lock)
        {
            _readers = Array.FindAll(_readers, r => r != reader);
            Volatile.Write(ref _limit, ComputeLimit());
        }

        OnMoved();
    }

    /// <summary>A subscriber's read position, which writers do not overtake.</summary>
    internal sealed class Reader(FeedBackpressure owner, long position) : IDisposable
    {
        private long _position = position;
        private int _letGo;

        public long Position => Volatile.Read(ref _position);

        public bool IsLetGo => Volatile.Read(ref _letGo) != 0;

        /// <summary>Records that the subscriber has read every change up to <paramref name="position"/>; a subscriber let go is held to again.</summary>
        public void Advance(long position)
        {
            Volatile.Write(ref _position, position);
            if (Interlocked.Exchange(ref _letGo, 0) != 0)
            {
                lock (owner._lock)
                {
                    Volatile.Write(ref owner._limit, owner.ComputeLimit());
                }
            }

            owner.OnMoved();
        }

        public void Dispose() => owner.Remove(this);

        internal void LetGo() => Volatile.Write(ref _letGo, 1);
    }
}
