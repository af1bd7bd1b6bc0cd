using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.Hosting;

/// <summary>Purges finished jobs older than <see cref="JobTrackingOptions.RetentionPeriod"/> at start-up and every <see cref="JobTrackingOptions.RetentionInterval"/>.</summary>
internal sealed class JobRetention : IAsyncDisposable, IDisposable
{
    /// <summary>The most jobs one purge call deletes.</summary>
    public const int PurgeBatchSize = 1000;

    private readonly IJobQueryStore _store;
    private readonly TimeProvider _time;
    private readonly JobTrackingOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public JobRetention(IJobQueryStore store, TimeProvider time, JobTrackingOptions options, ILoggerFactory loggerFactory)
    {
        _store = store;
        _time = time;
        _options = options;
        _logger = loggerFactory.CreateLogger<JobRetention>();
    }

    public void Start()
    {
        if (_options.RetentionPeriod is { } period)
        {
            _loop ??= Task.Run(() => LoopAsync(period, _stopping.Token));
        }
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Purges every finished job that ended before <paramref name="endedBefore"/>, in bounded batches so a large purge never holds the store for long.</summary>
    public static async ValueTask<int> PurgeAllAsync(IJobQueryStore store, DateTimeOffset endedBefore, CancellationToken cancellationToken)
    {
        var purged = 0;
        int batch;
        do
        {
            batch = await store.PurgeAsync(endedBefore, PurgeBatchSize, cancellationToken).ConfigureAwait(false);
            purged += batch;
        }
        while (batch == PurgeBatchSize);

        return purged;
    }

    public void Dispose() => _stopping.Cancel();

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task LoopAsync(TimeSpan period, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.RetentionInterval, _time);
        do
        {
            var cutoff = _time.GetUtcNow() - period;
            try
            {
                var purged = await PurgeAllAsync(_store, cutoff, stopping).ConfigureAwait(false);

                if (purged > 0)
                {
                    Log.Purged(_logger, purged, cutoff);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.PurgeFailed(_logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false));
    }
}
