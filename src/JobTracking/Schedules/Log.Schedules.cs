using Microsoft.Extensions.Logging;

namespace JobTracking;

/// <summary>The schedule loop's log messages (event ids 50 to 59).</summary>
internal static partial class Log
{
    [LoggerMessage(50, LogLevel.Information, "Schedule {ScheduleId} started job {JobId} for its occurrence at {Occurrence:O}.")]
    public static partial void ScheduleFired(ILogger logger, string scheduleId, DateTimeOffset occurrence, Guid jobId);

    [LoggerMessage(51, LogLevel.Information, "Schedule {ScheduleId} started nothing for its occurrence at {Occurrence:O}: missed with Misfire Skip, or its last job was unfinished with Overlap Skip.")]
    public static partial void ScheduleSkipped(ILogger logger, string scheduleId, DateTimeOffset occurrence);

    [LoggerMessage(52, LogLevel.Error, "Schedule {ScheduleId} could not deal with its due occurrence; it is tried again at the next poll.")]
    public static partial void ScheduleFireFailed(ILogger logger, Exception exception, string scheduleId);

    [LoggerMessage(53, LogLevel.Error, "Reading the schedules failed; reading again at the next poll.")]
    public static partial void ScheduleReadFailed(ILogger logger, Exception exception);
}
