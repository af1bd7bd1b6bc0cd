using Microsoft.Extensions.Logging;

namespace JobTracking.PostgreSql.Storage;

/// <summary>The PostgreSQL store's log messages, with stable event ids (201 on; the core uses 1 to 99, SQLite 101 on).</summary>
internal static partial class Log
{
    [LoggerMessage(201, LogLevel.Information, "Job store opened: PostgreSQL schema \"{Schema}\" (schema version {Version}; LISTEN/NOTIFY {Listen}).")]
    public static partial void StoreOpened(ILogger logger, string schema, int version, bool listen);

    [LoggerMessage(202, LogLevel.Information, "Job store schema \"{Schema}\" brought from version {From} to {To} (0 = new).")]
    public static partial void SchemaCreated(ILogger logger, string schema, int from, int to);

    [LoggerMessage(203, LogLevel.Warning, "A batch of {Count} writes failed; each is tried again alone so the bad one fails by itself.")]
    public static partial void BatchSplit(ILogger logger, int count, Exception exception);

    [LoggerMessage(206, LogLevel.Information, "A batch of {Count} writes was rolled back by the server as a deadlock's or a serialization race's victim (attempt {Attempt}); it is run again.")]
    public static partial void BatchRetried(ILogger logger, int count, int attempt, Exception exception);

    [LoggerMessage(204, LogLevel.Warning, "The change feed's LISTEN connection (channel {Channel}) was lost; reconnecting in {Delay}, polling meanwhile.")]
    public static partial void ListenerLost(ILogger logger, string channel, TimeSpan delay, Exception exception);

    [LoggerMessage(205, LogLevel.Warning, "Numbering the change feed after a commit failed; the writes are stored, and their changes are numbered by the next numbering step.")]
    public static partial void NumberingFailed(ILogger logger, Exception exception);

    [LoggerMessage(207, LogLevel.Warning, "Looking whether the application's transactions that started jobs have committed failed; they are looked at again shortly.")]
    public static partial void CommitWatchFailed(ILogger logger, Exception exception);
}
