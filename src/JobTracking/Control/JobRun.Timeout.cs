namespace JobTracking.Control;

// A run's timeout: when it is up, the run's token fires and the run's failure is reported as a timeout.
internal abstract partial class JobRun
{
    private ITimer? _timeoutTimer;
    private int _timedOut;

    /// <summary>Gets the timeout this run was started with, if any.</summary>
    public TimeSpan? Timeout { get; private set; }

    /// <summary>Gets whether the run's time ran out and its token fired for it.</summary>
    public bool TimedOut => Volatile.Read(ref _timedOut) != 0;

    /// <summary>Starts the run's clock (the engine's <see cref="TimeProvider"/>): after <paramref name="timeout"/> the token fires.</summary>
    public void StartTimeout(TimeSpan timeout)
    {
        Timeout = timeout;
        _timeoutTimer = _engine.TimeProvider.CreateTimer(static state => ((JobRun)state!).TimeUp(), this, timeout, System.Threading.Timeout.InfiniteTimeSpan);
    }

    /// <summary>Stops the run's clock: its code has returned.</summary>
    public void StopTimeout() => _timeoutTimer?.Dispose();

    private void TimeUp()
    {
        Interlocked.Exchange(ref _timedOut, 1);
        FireCancellation();
    }
}
