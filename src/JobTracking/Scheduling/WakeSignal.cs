using System.Threading.Tasks.Sources;

namespace JobTracking.Scheduling;

/// <summary>
/// The feeder's wake-up: a flag that <see cref="Set"/> raises and <see cref="WaitAsync"/> waits for and lowers. One
/// waiter at a time (the feeder), and nothing allocated per wait: a channel's wait allocated an operation each time
/// it was given a token that can fire.
/// </summary>
internal sealed class WakeSignal : IValueTaskSource
{
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private bool _set;
    private bool _waiting;

    /// <summary>Wakes the waiter, or the next wait when none waits now.</summary>
    public void Set()
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                _set = true;
                return;
            }

            _waiting = false;
        }

        _core.SetResult(true);
    }

    /// <summary>Completes at once when the flag is raised (lowering it), otherwise at the next <see cref="Set"/>.</summary>
    public ValueTask WaitAsync()
    {
        lock (_lock)
        {
            if (_set)
            {
                _set = false;
                return ValueTask.CompletedTask;
            }

            System.Diagnostics.Debug.Assert(!_waiting, "One waiter at a time.");
            _core.Reset();
            _waiting = true;
            return new ValueTask(this, _core.Version);
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
