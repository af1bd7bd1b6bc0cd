namespace JobTracking.Schedules;

/// <summary>A schedule declared with <see cref="JobTrackingBuilder.AddSchedule{TJob}"/>, applied at every start-up.</summary>
internal sealed record ScheduleDeclaration(string ScheduleId, Type DefinitionType, object Parameters, string Cron, JobScheduleOptions Options);
