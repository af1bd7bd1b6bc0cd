using System.Text;
using System.Threading.Channels;
using JobTracking.Ownership;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.Journal;

/// <summary>
/// The bounded write-behind buffer for log lines and rejects: jobs write into it (waiting when it is full, so nothing
/// is dropped), one loop stores its contents in batches. A flush marker lets a job wait until all it wrote is stored.
/// A transient store error is retried; an entry the store refuses for good is found by splitting the batch and stored
/// as a marker saying why, so it never holds up other entries or jobs.
/// </summary>
internal sealed class JobJournalWriter : IAsyncDisposable, IDisposable
{
    private const int MaxBatch = 1000;

    private const int MaxReasonLength = 500;

    private readonly IJobJournalStore _store;
    private readonly StoreRetry _retry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Item> _channel;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private long _dropped;

    public JobJournalWriter(IJobJournalStore store, IJobStore jobs, TimeProvider time, JobTrackingOptions options, ILoggerFactory loggerFactory)
    {
        _store = store;
        _time = time;
        _logger = loggerFactory.CreateLogger<JobJournalWriter>();
        _retry = new StoreRetry(jobs, time, options, _logger);
        Capacity = options.JournalBufferCapacity;
        _channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public int Capacity { get; }

    /// <summary>Gets whether the store keeps history entries (<see cref="JobJournalKind.History"/>): only then are they written.</summary>
    public bool KeepsHistory => _store is IJobHistoryStore;

    public void Start() => _loop ??= Task.Run(LoopAsync);

    /// <summary>Buffers an entry if there is room; it is stored only if <paramref name="lease"/> is still held when its batch is written.</summary>
    public bool TryWrite(JobJournalEntry entry, JobLease? lease) => _channel.Writer.TryWrite(new Item(entry, null, lease));

    /// <summary>Buffers an entry, waiting for room; it is stored only if <paramref name="lease"/> is still held when its batch is written.</summary>
    /// <remarks>In a flow that writes in the application's transaction (<see cref="StoreTransactionFlow"/>), the entry is stored at once, in the flow, so it commits or rolls back with that transaction; a failure then goes to the caller.</remarks>
    public async ValueTask WriteAsync(JobJournalEntry entry, JobLease? lease, CancellationToken cancellationToken = default)
    {
        if (StoreTransactionFlow.IsActive)
        {
            await _store.AppendJournalAsync([entry], cancellationToken).ConfigureAwait(false);
            return;
        }

        await _channel.Writer.WriteAsync(new Item(entry, null, lease), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes when everything written before the call is stored.</summary>
    public async Task FlushAsync()
    {
        if (_loop is null)
        {
            return;
        }

        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _channel.Writer.WriteAsync(new Item(null, flushed, null)).ConfigureAwait(false);
        await flushed.Task.ConfigureAwait(false);
    }

    /// <summary>Gets how many entries were dropped because the store refused both them and the marker that stood for them.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Stores what is buffered and stops; gives up what is left when <paramref name="cancellationToken"/> fires.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _channel.Writer.TryComplete();
        if (_loop is null)
        {
            return;
        }

        try
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
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
                    // A run that lost its claim (or whose host stopped and abandoned it) writes nothing more: its lines stay on the node.
                    if (item.Lease is null || item.Lease.IsHeld)
                    {
                        batch.Add(item.Entry);
                    }
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

    // A store outage never loses a journal: a transient error retries the same batch until it is stored or the host gives up.
    // An error that is not transient splits the batch until the entry the store refuses is alone; that one becomes a marker.
    private async Task StoreAsync(List<JobJournalEntry> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _store.AppendJournalAsync(batch, _stopping.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (_retry.IsTransient(ex))
            {
                Log.JournalWriteFailed(_logger, ex, batch.Count);
                await Task.Delay(_retry.Delay(attempt), _time, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (batch.Count > 1)
                {
                    var half = batch.Count / 2;
                    await StoreAsync(batch.GetRange(0, half)).ConfigureAwait(false);
                    await StoreAsync(batch.GetRange(half, batch.Count - half)).ConfigureAwait(false);
                }
                else
                {
                    await SetAsideAsync(batch[0], ex).ConfigureAwait(false);
                }

                return;
            }
        }
    }

    private async Task SetAsideAsync(JobJournalEntry refused, Exception error)
    {
        Log.JournalEntryRefused(_logger, error, refused.JobId);
        var marker = new JobJournalEntry
        {
            JobId = refused.JobId,
            ClaimId = refused.ClaimId,
            Kind = JobJournalKind.Log,
            At = refused.At,
            Level = LogLevel.Error,
            Text = $"[A {refused.Kind switch { JobJournalKind.Reject => "reject", JobJournalKind.History => "history entry", _ => "log line" }} of {refused.Text.Length} characters could not be stored: {Describe(error)}]",
        };
        try
        {
            await _retry.RunAsync((_store, marker), static (s, ct) => s._store.AppendJournalAsync([s.marker], ct), _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.JournalEntryDropped(_logger, ex, refused.JobId, Interlocked.Increment(ref _dropped));
        }
    }

    // The store's message, kept printable and short: it may quote the very text that was refused.
    private static string Describe(Exception error)
    {
        var text = new StringBuilder(error.GetType().Name).Append(": ");
        foreach (var c in error.Message)
        {
            if (text.Length >= MaxReasonLength)
            {
                text.Append('…');
                break;
            }

            text.Append(char.IsControl(c) || char.IsSurrogate(c) ? '?' : c);
        }

        return text.ToString();
    }

    private readonly record struct Item(JobJournalEntry? Entry, TaskCompletionSource? Flushed, JobLease? Lease);
}
