using Microsoft.Extensions.Logging;

namespace JobTracking.Dashboard;

/// <summary>What the dashboard logs: who issued which command, so that an action taken in the browser can be traced.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Dashboard: {User} issued {Command} on job {JobId}")]
    public static partial void CommandIssued(ILogger logger, string user, string command, Guid jobId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Dashboard: {User} issued {Command} on {Requested} jobs: {Summary}")]
    public static partial void BulkIssued(ILogger logger, string user, string command, int requested, string summary);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The job dashboard at {Path} has no ReadPolicy: it answers local requests only (from this machine, to localhost, 127.0.0.1 or [::1], not through a proxy). Set JobTrackingDashboardOptions.ReadPolicy to open it to signed-in users.")]
    public static partial void NoReadPolicy(ILogger logger, string path);
}
