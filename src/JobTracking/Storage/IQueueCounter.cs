namespace JobTracking.Storage;

/// <summary>A store that knows how many jobs are queued without a query; feeds the queue-depth gauge.</summary>
internal interface IQueueCounter
{
    long QueuedCount { get; }
}
