namespace JobTracking.PostgreSql.Storage;

/// <summary>How a write batch takes the queue lock (see <see cref="PgStatements.Begin"/>).</summary>
internal enum PgQueueLock
{
    /// <summary>Not at all.</summary>
    None = 0,

    /// <summary>Shared: a claim, which waits only for a reclaim putting jobs back in the queue.</summary>
    Shared = 1,

    /// <summary>Exclusive: a reclaim that queues jobs again.</summary>
    Exclusive = 2,
}
