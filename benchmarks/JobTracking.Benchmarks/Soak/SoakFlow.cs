namespace JobTracking.Benchmarks.Soak;

/// <summary>
/// The jobs of a soak run: callers start them while fewer than a window of them are started and not yet finished; a
/// finished event frees a place in the window and counts the job.
/// </summary>
public sealed class SoakFlow(int jobs, int window) : IDisposable
{
    // No maximum: a finished event the run did not start would show as a count above the jobs, not as an exception in a subscriber.
    private readonly SemaphoreSlim _window = new(window);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _finished;

    /// <summary>Gets how many finished events have been counted.</summary>
    public long Finished => Volatile.Read(ref _finished);

    /// <summary>Gets a task that completes when every job has finished.</summary>
    public Task Done => _done.Task;

    /// <summary>Starts <paramref name="share"/> no-op jobs one after the other, each once the window has room.</summary>
    public async Task StartAsync(IJobRunner runner, int share, CancellationToken cancellationToken)
    {
        for (var i = 0; i < share; i++)
        {
            await _window.WaitAsync(cancellationToken);
            await runner.StartAsync(nameof(NoOpJob), NoOpParameters.Instance, cancellationToken: cancellationToken);
        }
    }

    /// <summary>The <c>OnJobFinished</c> handler.</summary>
    public void OnFinished(JobEvent finished)
    {
        _window.Release();
        if (Interlocked.Increment(ref _finished) == jobs)
        {
            _done.TrySetResult();
        }
    }

    public void Dispose() => _window.Dispose();
}
