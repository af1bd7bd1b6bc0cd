using System.Diagnostics;
using JobTracking.Ownership;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.Feed;

/// <summary>
/// This instance's one reader of the store's change feed. It follows the feed's tail into a cache of the latest
/// changes, hands each batch to the engine (pause and cancel signals, waits), and lets subscriptions read the cache;
/// a subscription that falls out of the cache reads the store's feed itself, from where it was.
/// </summary>
/// <remarks>
/// The tail is the cache's only writer. It announces the slots it is about to fill (<c>_reserved</c>) before it fills
/// them, and publishes them (<c>_written</c>) after; a reader copies slots and then checks that no announced write
/// reached them meanwhile, so it never uses a torn change and never waits for the tail.
/// </remarks>
internal sealed class JobFeed : IAsyncDisposable, IDisposable
{
    internal const int CacheCapacity = 8192;
    private const int ReadBatch = 512;
    private const long Mask = CacheCapacity - 1;

    private readonly JobChange[] _cache = new JobChange[CacheCapacity];
    private readonly JobEvent?[] _events = new JobEvent?[CacheCapacity]; // built once per cached change, shared by every subscriber
    private readonly StoreRetry _retry;
    private readonly TimeProvider _time;
    private readonly JobTrackingOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _startLock = new();
    private Task? _started;
    private Task? _tail;
    private long _written;
    private long _reserved;
    private long _startPosition;
    private long _position;
    private long _dropped;
    private int _disposed;
    private TaskCompletionSource? _more;
    private FeedBackpressure.Reader? _tailHold;

    public JobFeed(IJobFeedStore store, StoreRetry retry, TimeProvider time, JobTrackingOptions options, ILogger logger)
    {
        Store = store;
        _retry = retry;
        _time = time;
        _options = options;
        _logger = logger;
    }

    public IJobFeedStore Store { get; }

    /// <summary>Gets or sets what holds new work back while a subscriber that must not lose events is close to a ring behind; <see langword="null"/> when the store keeps its feed.</summary>
    public FeedBackpressure? Backpressure { get; set; }

    /// <summary>Gets or sets what the engine does with each batch the tail reads, before subscriptions see it.</summary>
    public FeedObserver? Observer { get; set; }

    /// <summary>Gets the last sequence number the tail has read.</summary>
    public long Position => Volatile.Read(ref _position);

    /// <summary>Starts following the feed from its current end, once; completes when the start position is known, so a change made after it returns is seen.</summary>
    public Task StartAsync()
    {
        lock (_startLock)
        {
            return _started ??= StartCoreAsync();
        }
    }

    /// <summary>Reads the store's latest sequence number now, when the store answers at once; otherwise the tail's position.</summary>
    public long LatestNow()
    {
        var read = Store.ReadFeedAsync(0, Memory<JobChange>.Empty);
        return read.IsCompletedSuccessfully ? read.Result.LatestSequence : Position;
    }

    /// <summary>Copies changes after <paramref name="after"/> from the cache, continuing from <paramref name="index"/> when it is still valid.</summary>
    /// <returns>How many were copied (0 when the cache has nothing newer yet), or -1 when the cache no longer covers <paramref name="after"/>.</returns>
    public int ReadCache(ref long index, long after, Span<JobChange> buffer, Span<long> positions)
    {
        while (true)
        {
            var written = Volatile.Read(ref _written);
            var oldest = Math.Max(0, Volatile.Read(ref _reserved) - CacheCapacity);
            if (index < oldest || index > written)
            {
                if (!TryFind(after, oldest, written, out index))
                {
                    return -1;
                }
            }

            var count = 0;
            var i = index;
            for (; i < written && count < buffer.Length; i++)
            {
                var change = _cache[i & Mask];
                if (change.Sequence > after)
                {
                    positions[count] = i;
                    buffer[count++] = change;
                }
            }

            // A full fence, then: did the tail announce a write over any slot we copied?
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _reserved) - CacheCapacity > index)
            {
                index = -1;
                continue;
            }

            index = i;
            return count;
        }
    }

    /// <summary>Gets the event of the change at cache position <paramref name="position"/>, built once and shared by every subscriber that reads it.</summary>
    /// <param name="position">Where <see cref="ReadCache"/> found the change.</param>
    /// <param name="change">The change as read (its sequence tells a slot reused since apart).</param>
    public JobEvent EventAt(long position, in JobChange change)
    {
        ref var slot = ref _events[position & Mask];
        var existing = Volatile.Read(ref slot);
        if (existing is not null && existing.Sequence == change.Sequence)
        {
            return existing;
        }

        var created = JobEventHub.ToEvent(in change);
        Volatile.Write(ref slot, created); // a racing reader may build its own: both are equal, either may stay
        return created;
    }

    /// <summary>Completes when the cache holds more than <paramref name="written"/> entries.</summary>
    public ValueTask WaitForMoreAsync(long written, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _written) > written)
        {
            return ValueTask.CompletedTask;
        }

        var more = Volatile.Read(ref _more);
        if (more is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            more = Interlocked.CompareExchange(ref _more, created, null) ?? created;
        }

        return Volatile.Read(ref _written) > written ? ValueTask.CompletedTask : new ValueTask(more.Task.WaitAsync(cancellationToken));
    }

    /// <summary>Gets the events subscriptions lost so far (skipped or no longer in the store's feed).</summary>
    public long DroppedEvents => Interlocked.Read(ref _dropped);

    /// <summary>Counts events a subscription lost.</summary>
    public void CountDropped(long count) => Interlocked.Add(ref _dropped, count);

    /// <summary>Waits before a failed read is tried again.</summary>
    public Task DelayAfterFailureAsync(CancellationToken cancellationToken) => Task.Delay(_options.TransientRetryMaxDelay, _time, cancellationToken);

    /// <summary>Gets the number of entries published to the cache so far.</summary>
    public long Written => Volatile.Read(ref _written);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _tailHold?.Dispose();
        if (_tail is { } tail)
        {
            try
            {
                await tail.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

    }

    /// <summary>Stops the tail without waiting for it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Cancel();
            _tailHold?.Dispose();
        }
    }

    private async Task StartCoreAsync()
    {
        var start = await _retry.RunAsync(Store, static (s, ct) => s.ReadFeedAsync(0, Memory<JobChange>.Empty, ct), _stopping.Token, untilStored: true).ConfigureAwait(false);
        _startPosition = _position = start.LatestSequence;

        // The tail is every subscriber's and waiter's first reader: were it overtaken, what it missed would reach none of them.
        _tailHold = Backpressure?.Register(_position);
        _tail = Task.Run(() => FollowAsync(_stopping.Token));
    }

    // The cache covers every change after `after` when its oldest entry is at most one past it (sequence numbers may
    // have gaps, never go back), or when it has never wrapped and `after` is at or past where the tail started.
    private bool TryFind(long after, long oldest, long written, out long index)
    {
        index = written;
        if (oldest == written)
        {
            return written == 0 ? after >= Volatile.Read(ref _startPosition) : after >= Volatile.Read(ref _position);
        }

        var covered = oldest == 0 ? after >= Volatile.Read(ref _startPosition) : after >= _cache[oldest & Mask].Sequence - 1;
        if (!covered)
        {
            return false;
        }

        // The first entry above `after`, by binary search; a torn read here is caught by the caller's check.
        long low = oldest, high = written;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (_cache[middle & Mask].Sequence > after)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        index = low;
        return true;
    }

    private async Task FollowAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var written = Volatile.Read(ref _written);
                var from = (int)(written & Mask);
                var length = Math.Min(ReadBatch, CacheCapacity - from);
                Volatile.Write(ref _reserved, written + length);
                Interlocked.MemoryBarrier();
                var position = Volatile.Read(ref _position);
                var read = await _retry.RunAsync(
                    (Store, Buffer: _cache.AsMemory(from, length), position),
                    static (s, ct) => s.Store.ReadFeedAsync(s.position, s.Buffer, ct),
                    stopping,
                    untilStored: true).ConfigureAwait(false);

                if (read.FirstSequence > position + 1 && read.LatestSequence > position)
                {
                    // The store dropped changes before this reader saw them: whoever relied on them must look again.
                    Log.FeedGap(_logger, read.FirstSequence - position - 1);
                    Observer?.OnGap();
                }

                if (read.Count == 0)
                {
                    Volatile.Write(ref _reserved, written);
                    if (read.LatestSequence > position && read.FirstSequence > read.LatestSequence)
                    {
                        Volatile.Write(ref _position, read.LatestSequence);
                        _tailHold?.Advance(read.LatestSequence);
                    }

                    await Store.WaitForChangesAsync(Volatile.Read(ref _position), stopping).ConfigureAwait(false);
                    continue;
                }

                var batch = _cache.AsSpan(from, read.Count);
                Debug.Assert(batch[0].Sequence > position, "The store returned a change the tail already had.");
                Observer?.OnChanges(batch);
                Volatile.Write(ref _position, batch[^1].Sequence);
                _tailHold?.Advance(batch[^1].Sequence);
                Volatile.Write(ref _reserved, written + read.Count);

                // A full fence between publishing and looking for a waiter: a reader registers its waiter and then reads
                // _written, so with a plain store here both could miss the other's write and the reader sleep on a
                // published change.
                Interlocked.Exchange(ref _written, written + read.Count);
                if (Volatile.Read(ref _more) is not null)
                {
                    Interlocked.Exchange(ref _more, null)?.TrySetResult();
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the store was closed before the tail (the host is going away): there is nothing more to read
            }
#pragma warning disable CA1031 // The tail must outlive any store error: it logs, waits and reads again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.FeedReadFailed(_logger, ex);
                try
                {
                    await Task.Delay(_options.TransientRetryMaxDelay, _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}

/// <summary>What the engine does with the changes the feed's tail reads.</summary>
internal abstract class FeedObserver
{
    /// <summary>Handles a batch, in sequence order, on the tail's task; it must not block.</summary>
    public abstract void OnChanges(ReadOnlySpan<JobChange> changes);

    /// <summary>Called when the tail found that the store no longer held changes it had not read.</summary>
    public abstract void OnGap();
}
