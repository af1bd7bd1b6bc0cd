using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace JobTracking.Journal;

/// <summary>
/// The bounded write-behind buffer for log lines and rejects: jobs write into it (waiting when it is full, so nothing
/// is dropped), one loop stores its contents in batches. A flush marker lets a job wait until all it wrote is stored.
/// </summary>
internal sealed class JobJournalWriter : IAsyncDisposable, IDisposable
{
    private const int MaxBatch = 1000;

    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _retryDelay;
    private readonly ILogger _logger;
    private readonly Channel<Item> _channel;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public JobJournalWriter(IJobStore store, TimeProvider time, JobTrackingOptions options, ILoggerFactory loggerFactory)
    {
        _store = store;
        _time = time;
        _retryDelay = options.PollInterval;
        _logger = loggerFactory.CreateLogger<JobJournalWriter>();
        Capacity = options.JournalBufferCapacity;
        _channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public int Capacity { get; }

    public void Start() => _loop ??= Task.Run(LoopAsync);

    public bool TryWrite(JobJournalEntry entry) => _channel.Writer.TryWrite(new Item(entry, null));

    public ValueTask WriteAsync(JobJournalEntry entry, CancellationToken cancellationToken = default) =>
        _channel.Writer.WriteAsync(new Item(entry, null), cancellationToken);

    /// <summary>Completes when everything written before the call is stored.</summary>
    public async Task FlushAsync()
    {
        if (_loop is null)
        {
            return;
        }

        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _channel.Writer.WriteAsync(new Item(null, flushed)).ConfigureAwait(false);
        await flushed.Task.ConfigureAwait(false);
    }

    /// <summary>Stores what is buffered and stops.</summary>
    public async Task StopAsync()
    {
        _channel.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
    }

    // A container disposed synchronously only stops the loop; what was still buffered is not waited for.
    public void Dispose()
    {
        _channel.Writer.TryComplete();
        _stopping.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
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

        _stopping.Dispose();
    }

    private async Task LoopAsync()
    {
        var reader = _channel.Reader;
        var batch = new List<JobJournalEntry>(MaxBatch);
        var flushed = new List<TaskCompletionSource>();
        while (await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                if (item.Entry is not null)
                {
                    batch.Add(item.Entry);
                }
                else
                {
                    flushed.Add(item.Flushed!);
                }
            }

            if (batch.Count > 0)
            {
                await StoreAsync(batch).ConfigureAwait(false);
                batch.Clear();
            }

            foreach (var waiter in flushed)
            {
                waiter.TrySetResult();
            }

            flushed.Clear();
        }
    }

    // A store outage never loses a journal: retry the same batch until it is stored or the host gives up.
    private async Task StoreAsync(List<JobJournalEntry> batch)
    {
        while (true)
        {
            try
            {
                await _store.AppendJournalAsync(batch, _stopping.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.JournalWriteFailed(_logger, ex, batch.Count);
                await Task.Delay(_retryDelay, _time, _stopping.Token).ConfigureAwait(false);
            }
        }
    }

    private readonly record struct Item(JobJournalEntry? Entry, TaskCompletionSource? Flushed);
}
