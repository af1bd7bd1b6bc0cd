namespace JobTracking.Scheduling;

/// <summary>Wakes the feeder when the earliest job known to wait for its time comes due, on the engine's clock.</summary>
/// <remarks>Told of times from the change feed (a job created or queued again with a time, by any instance) and from the store
/// (<see cref="Storage.IJobStore.GetNextRunAfterAsync"/>, asked at start and after each wake-up it causes); it keeps one timer,
/// for the earliest time it was told.</remarks>
internal sealed class DueTimer(TimeProvider time, Action fire) : IDisposable
{
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private long _dueTicks = long.MaxValue;
    private bool _disposed;

    /// <summary>Gets whether the last wake-up was this timer's: the store is asked for the next time after the feeder's claim.</summary>
    public bool Fired { get; private set; }

    /// <summary>Notes a time a job comes due; the timer moves earlier when it is earlier than the one set.</summary>
    public void Note(DateTimeOffset at)
    {
        lock (_lock)
        {
            if (_disposed || at.UtcTicks >= _dueTicks)
            {
                return;
            }

            _dueTicks = at.UtcTicks;
            var delay = at - time.GetUtcNow();
            _timer?.Dispose();
            _timer = time.CreateTimer(static state => ((DueTimer)state!).Fire(), this, delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Takes the fired flag: <see langword="true"/> once after each wake-up of this timer.</summary>
    public bool TakeFired()
    {
        lock (_lock)
        {
            var fired = Fired;
            Fired = false;
            return fired;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
        }
    }

    private void Fire()
    {
        lock (_lock)
        {
            _dueTicks = long.MaxValue;
            Fired = true;
        }

        fire();
    }
}
