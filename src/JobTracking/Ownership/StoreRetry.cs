using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.Ownership;

/// <summary>Retries store calls that fail with an error the store calls transient, with exponential backoff and full jitter.</summary>
internal sealed class StoreRetry
{
    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly JobTrackingOptions _options;
    private readonly ILogger _logger;

    // Completed by the first call that succeeds while retries wait: the store is back, so they need not sleep out their
    // backoff (up to TransientRetryMaxDelay). Null while no retry waits, so a successful call costs one field read.
    private TaskCompletionSource? _storeBack;

    public StoreRetry(IJobStore store, TimeProvider time, JobTrackingOptions options, ILogger logger)
    {
        _store = store;
        _time = time;
        _options = options;
        _logger = logger;
    }

    public bool IsTransient(Exception exception) => exception is not OperationCanceledException && _store.IsTransient(exception);

    /// <summary>Runs <paramref name="call"/>, retrying transient errors up to <see cref="JobTrackingOptions.TransientRetryCount"/> times (or for ever when <paramref name="untilStored"/>).</summary>
    /// <remarks>A call that completes at once costs one delegate call: no state machine unless it fails or has to wait.</remarks>
    public ValueTask<T> RunAsync<TState, T>(TState state, Func<TState, CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken, bool untilStored = false)
    {
        ValueTask<T> first;
        try
        {
            first = call(state, cancellationToken);
        }
        catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            return RetryAsync(state, call, ex, untilStored, cancellationToken);
        }

        if (first.IsCompletedSuccessfully)
        {
            Succeeded();
            return first;
        }

        return AwaitFirstAsync(first, state, call, untilStored, cancellationToken);
    }

    private async ValueTask<T> AwaitFirstAsync<TState, T>(ValueTask<T> first, TState state, Func<TState, CancellationToken, ValueTask<T>> call, bool untilStored, CancellationToken cancellationToken)
    {
        T result;
        try
        {
            result = await first.ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            return await RetryAsync(state, call, ex, untilStored, cancellationToken).ConfigureAwait(false);
        }

        Succeeded();
        return result;
    }

    /// <summary>Retries <paramref name="call"/> after its first try failed with the transient <paramref name="failure"/>, as <see cref="RunAsync"/> does (for callers that make the first try themselves, to keep one state machine on their hot path).</summary>
    public ValueTask<T> RetryAfterAsync<TState, T>(TState state, Func<TState, CancellationToken, ValueTask<T>> call, Exception failure, bool untilStored, CancellationToken cancellationToken) =>
        RetryAsync(state, call, failure, untilStored, cancellationToken);

    private async ValueTask<T> RetryAsync<TState, T>(TState state, Func<TState, CancellationToken, ValueTask<T>> call, Exception failure, bool untilStored, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (!untilStored && attempt > _options.TransientRetryCount)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }

            var delay = Delay(attempt);
            Log.TransientStoreError(_logger, failure, attempt, delay);
            await PauseAsync(delay, cancellationToken).ConfigureAwait(false);
            T result;
            try
            {
                result = await call(state, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                failure = ex;
                continue;
            }

            Succeeded();
            return result;
        }
    }

    // Sleeps out the backoff, unless another call succeeds meanwhile: the store is back, and the retry goes after a pause
    // no longer than the first retry's (jittered, so the waiting retries do not all land on the store at once).
    private async Task PauseAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var first = _options.TransientRetryDelay;
        if (delay <= first)
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            return;
        }

        var back = Volatile.Read(ref _storeBack);
        if (back is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            back = Interlocked.CompareExchange(ref _storeBack, created, null) ?? created;
        }

        using var sleeping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var backoff = Task.Delay(delay, _time, sleeping.Token);
        if (await Task.WhenAny(backoff, back.Task).ConfigureAwait(false) == backoff)
        {
            await backoff.ConfigureAwait(false); // throws if the caller's token fired
            return;
        }

        await sleeping.CancelAsync().ConfigureAwait(false);
        await Task.Delay(Delay(1), _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Tells the retries waiting for the store that a call succeeded: the store is back (a first try made by the caller itself says it here).</summary>
    public void Succeeded()
    {
        if (Volatile.Read(ref _storeBack) is { } back)
        {
            Interlocked.CompareExchange(ref _storeBack, null, back);
            back.TrySetResult();
        }
    }

    /// <summary>The pause before retry <paramref name="attempt"/>: a random share of the doubled base delay, capped.</summary>
    public TimeSpan Delay(int attempt)
    {
        var ceiling = Math.Min(_options.TransientRetryMaxDelay.Ticks, _options.TransientRetryDelay.Ticks * Math.Pow(2, Math.Min(attempt - 1, 30)));
        // Half fixed, half random: retries of many runs spread out, yet none retries at once.
#pragma warning disable CA5394 // Jitter, not security.
        return TimeSpan.FromTicks((long)(ceiling / 2 + (Random.Shared.NextDouble() * ceiling / 2)));
#pragma warning restore CA5394
    }
}
