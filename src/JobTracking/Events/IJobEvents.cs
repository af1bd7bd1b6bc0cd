namespace JobTracking;

/// <summary>Live notifications of every job's status changes and progress.</summary>
public interface IJobEvents
{
    /// <summary>Calls <paramref name="handler"/> for each matching event, in order per job, on a background task of its own.</summary>
    /// <remarks>A handler that throws is logged and stays subscribed. Dispose the result to unsubscribe.</remarks>
    /// <param name="handler">The callback.</param>
    /// <param name="options">Filters and buffer; <see langword="null"/> for every event with the defaults.</param>
    /// <returns>The subscription: dispose it to stop.</returns>
    IJobSubscription Subscribe(Func<JobEvent, ValueTask> handler, JobSubscriptionOptions? options = null);

    /// <summary>Reads matching events as they happen, for <c>await foreach</c>; the subscription ends with the enumeration.</summary>
    /// <param name="options">Filters and buffer; <see langword="null"/> for every event with the defaults.</param>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The events, in order per job.</returns>
    IAsyncEnumerable<JobEvent> ReadAllAsync(JobSubscriptionOptions? options = null, CancellationToken cancellationToken = default);
}

/// <summary>A live subscription to <see cref="IJobEvents"/>; dispose it to unsubscribe.</summary>
public interface IJobSubscription : IDisposable
{
    /// <summary>Gets how many events were dropped because the buffer was full.</summary>
    long DroppedEvents { get; }
}
