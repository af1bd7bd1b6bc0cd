namespace JobTracking;

/// <summary>Shortcuts for the two notifications users see: a job started, a job finished.</summary>
public static class JobEventsExtensions
{
    /// <summary>Calls <paramref name="handler"/> for each matching event.</summary>
    /// <param name="events">The event source.</param>
    /// <param name="handler">The callback.</param>
    /// <param name="options">Filters and buffer; <see langword="null"/> for every event.</param>
    /// <returns>The subscription: dispose it to stop.</returns>
    public static IJobSubscription Subscribe(this IJobEvents events, Action<JobEvent> handler, JobSubscriptionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(handler);
        return events.Subscribe(e =>
        {
            handler(e);
            return ValueTask.CompletedTask;
        }, options);
    }

    /// <summary>Calls <paramref name="handler"/> when a job starts running (the "job started" flash message).</summary>
    /// <param name="events">The event source.</param>
    /// <param name="handler">The callback.</param>
    /// <param name="options">Further filters; its statuses are replaced with Running.</param>
    /// <returns>The subscription: dispose it to stop.</returns>
    public static IJobSubscription OnJobStarted(this IJobEvents events, Action<JobEvent> handler, JobSubscriptionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var filter = (options ?? new JobSubscriptionOptions()) with { Statuses = [JobStatus.Running], IncludeProgress = false };
        return events.Subscribe(e =>
        {
            if (e.IsStarted)
            {
                handler(e);
            }
        }, filter);
    }

    /// <summary>Calls <paramref name="handler"/> when a job reaches Completed, Cancelled or Failed (the "job finished" notification).</summary>
    /// <param name="events">The event source.</param>
    /// <param name="handler">The callback.</param>
    /// <param name="options">Further filters; its statuses are replaced with the finished ones.</param>
    /// <returns>The subscription: dispose it to stop.</returns>
    public static IJobSubscription OnJobFinished(this IJobEvents events, Action<JobEvent> handler, JobSubscriptionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var filter = (options ?? new JobSubscriptionOptions()) with
        {
            Statuses = [JobStatus.Completed, JobStatus.Cancelled, JobStatus.Failed],
            IncludeProgress = false,
        };
        return events.Subscribe(handler, filter);
    }
}
