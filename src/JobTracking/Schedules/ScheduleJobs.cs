using System.Globalization;
using JobTracking.Definitions;

namespace JobTracking.Schedules;

/// <summary>The jobs a schedule starts, and the idempotency key that makes an occurrence start one job across every instance.</summary>
internal static class ScheduleJobs
{
    /// <summary>The idempotency key of one occurrence: the schedule's id and the occurrence's UTC time, to the tick.</summary>
    public static string OccurrenceKey(string scheduleId, DateTimeOffset occurrence) =>
        string.Create(CultureInfo.InvariantCulture, $"schedule:{scheduleId}@{occurrence.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ}");

    /// <summary>The launched-by label of a schedule's jobs.</summary>
    public static string LaunchedBy(string scheduleId) => $"schedule:{scheduleId}";

    public static JobRecord NewJob(JobType type, JobScheduleRecord schedule, DateTimeOffset now, string? idempotencyKey) => new()
    {
        Id = RandomIds.NewVersion7(now),
        TypeName = type.TypeName,
        DisplayName = schedule.DisplayName ?? type.DisplayName,
        Status = JobStatus.Queued,
        Version = 1,
        Parameters = schedule.Parameters,
        LaunchedBy = LaunchedBy(schedule.Id),
        Priority = schedule.Priority,
        ConcurrencyKey = schedule.ConcurrencyKey,
        CreatedAt = now,
        IdempotencyKey = idempotencyKey,
    };
}
