namespace JobTracking.Sqlite;

/// <summary>How the SQLite job store writes to its file.</summary>
public sealed class SqliteJobStoreOptions
{
    // Microsoft.Data.Sqlite counts its busy timeout in whole seconds, and 0 there means wait for ever.
    private static readonly TimeSpan MinBusyTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBusyTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MaxWriteDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets when a write counts as done. Default <see cref="SqliteSynchronousMode.Full"/>: every write survives a power cut once the call that made it returns.</summary>
    public SqliteSynchronousMode Synchronous { get; set; } = SqliteSynchronousMode.Full;

    /// <summary>Gets or sets how long a write or the opening waits for another program (a backup tool, the <c>sqlite3</c> shell) that holds a lock on the file before it fails. Default 5 seconds; 1 second to 10 minutes, rounded up to whole seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how many of the latest changes the change feed keeps (events, waits and signals read it); older ones are deleted in small batches as new ones arrive. A subscriber that falls further behind than this loses the oldest. Default 1,000,000; 1,000 to 1,000,000,000.</summary>
    public int FeedRetention { get; set; } = 1_000_000;

    /// <summary>
    /// Gets or sets the most writes one commit holds. The writer commits whatever has queued since its last commit, up
    /// to this many, so that concurrent writes share one disk flush. Default 256; 1 to 10,000.
    /// </summary>
    public int MaxWriteBatch { get; set; } = 256;

    /// <summary>
    /// Gets or sets how long the writer waits, once a write arrives, for more writes to share its commit (until
    /// <see cref="MaxWriteBatch"/> have queued). Default zero: a commit starts as soon as the previous one has ended, and
    /// the writes that queued meanwhile share it, which is what a busy store needs. A delay adds up to its length to
    /// every write; it can raise throughput only where many callers write at once and each disk flush is slow. 0 to 100
    /// milliseconds, timed by the store's <see cref="TimeProvider"/>.
    /// </summary>
    public TimeSpan WriteDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Synchronous))
        {
            throw new ArgumentOutOfRangeException(nameof(Synchronous), Synchronous, $"SqliteJobStoreOptions.Synchronous is {Synchronous}; it must be Normal or Full.");
        }

        if (FeedRetention is < 1_000 or > 1_000_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(FeedRetention), FeedRetention, $"SqliteJobStoreOptions.FeedRetention is {FeedRetention}; it must be between 1,000 and 1,000,000,000.");
        }

        if (MaxWriteBatch is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWriteBatch), MaxWriteBatch, $"SqliteJobStoreOptions.MaxWriteBatch is {MaxWriteBatch}; it must be between 1 and 10,000.");
        }

        if (WriteDelay < TimeSpan.Zero || WriteDelay > MaxWriteDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(WriteDelay), WriteDelay, $"SqliteJobStoreOptions.WriteDelay is {WriteDelay}; it must be between zero and {MaxWriteDelay.TotalMilliseconds:0} ms.");
        }

        if (BusyTimeout < MinBusyTimeout || BusyTimeout > MaxBusyTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(BusyTimeout), BusyTimeout, $"SqliteJobStoreOptions.BusyTimeout is {BusyTimeout}; it must be between {MinBusyTimeout} and {MaxBusyTimeout}.");
        }
    }
}

/// <summary>When a write to the SQLite file counts as done (SQLite's <c>PRAGMA synchronous</c> in WAL mode).</summary>
public enum SqliteSynchronousMode
{
    /// <summary>A write is handed to the operating system, which writes it to disk later: it survives the process being killed, but the last writes before a power cut or an operating-system crash may be lost (the file itself stays consistent). Faster: no disk flush per write.</summary>
    Normal = 1,

    /// <summary>A write is flushed to disk before the call returns: it survives the process being killed, an operating-system crash and a power cut. Concurrent writes share one flush (group commit).</summary>
    Full = 2,
}
