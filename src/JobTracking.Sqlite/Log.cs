using JobTracking.Sqlite;
using Microsoft.Extensions.Logging;

namespace JobTracking.Sqlite.Storage;

/// <summary>The SQLite store's log messages, with stable event ids (101 on; the core uses 1 to 99).</summary>
internal static partial class Log
{
    [LoggerMessage(101, LogLevel.Information, "Job store opened: {Path} (synchronous {Synchronous}).")]
    public static partial void StoreOpened(ILogger logger, string path, SqliteSynchronousMode synchronous);

    [LoggerMessage(102, LogLevel.Information, "Job store {Path}: schema brought from version {From} to {To} (0 = a new file).")]
    public static partial void SchemaCreated(ILogger logger, string path, int from, int to);
}
