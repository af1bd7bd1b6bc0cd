using System.Threading.Tasks.Sources;

namespace JobTracking.Scheduling;

// The scheduler's per-worker state and its per-type slot counts.
internal sealed partial class JobScheduler
{
    // One per worker loop, so nothing is allocated per job for it: the signal that the current job's code has returned
    // for good (or its run is over), and the runs of this worker still storing their final status, oldest first. A run
    // that ends after its worker moved on must not release the worker's next job: each release names the job it is for.
    private sealed class Worker : IValueTaskSource
    {
        private readonly Queue<Task> _storing = new();
        private readonly Lock _lock = new();
        private ManualResetValueTaskSourceCore<bool> _released = new() { RunContinuationsAsynchronously = true };
        private long _job;
        private bool _signalled;

        public Worker() => Finishing = () => Release(Volatile.Read(ref _job));

        /// <summary>Gets the release the engine calls when the current job's code has returned for good.</summary>
        public Action Finishing { get; }

        /// <summary>Gets the number of the job the worker runs now.</summary>
        public long Job => Volatile.Read(ref _job);

        public void Reset()
        {
            lock (_lock)
            {
                _released.Reset();
                _signalled = false;
                _job++;
            }
        }

        public ValueTask WhenReleased() => new(this, _released.Version);

        /// <summary>Releases the worker from <paramref name="job"/>; nothing when the worker is past it already.</summary>
        public void Release(long job)
        {
            lock (_lock)
            {
                if (job != _job || _signalled)
                {
                    return;
                }

                _signalled = true;
            }

            _released.SetResult(true);
        }

        public async ValueTask StoringAsync(Task run)
        {
            while (_storing.TryPeek(out var oldest) && oldest.IsCompleted)
            {
                _ = _storing.Dequeue(); // completed: RunOneAsync never faults
            }

            if (run.IsCompleted)
            {
                return;
            }

            _storing.Enqueue(run);
            if (_storing.Count > MaxStoringPerWorker)
            {
                await _storing.Dequeue().ConfigureAwait(false);
            }
        }

        public async ValueTask DrainAsync()
        {
            while (_storing.TryDequeue(out var run))
            {
                await run.ConfigureAwait(false);
            }
        }

        void IValueTaskSource.GetResult(short token) => _released.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _released.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _released.OnCompleted(continuation, state, token, flags);
    }

    private sealed class TypeSlots(int limit)
    {
        public readonly int Limit = limit;
        public int Running;
    }
}
