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

    public StoreRetry(IJobStore store, TimeProvider time, JobTrackingOptions options, ILogger logger)
    {
        _store = store;
        _time = time;
        _options = options;
        _logger = logger;
    }

    public bool IsTransient(Exception exception) => exception is not OperationCanceledException && _store.IsTransient(exception);

    /// <summary>Runs <paramref name="call"/>, retrying transient errors up to <see cref="JobTrackingOptions.TransientRetryCount"/> times (or for ever when <paramref name="untilStored"/>).</summary>
    public async ValueTask<T> RunAsync<TState, T>(TState state, Func<TState, CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken, bool untilStored = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(state, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && (untilStored || attempt <= _options.TransientRetryCount) && !cancellationToken.IsCancellationRequested)
            {
                var delay = Delay(attempt);
                Log.TransientStoreError(_logger, ex, attempt, delay);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
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
