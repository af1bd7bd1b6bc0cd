namespace JobTracking;

/// <summary>Thrown when a schedule command names a schedule that the store does not hold.</summary>
public sealed class JobScheduleNotFoundException : JobTrackingException
{
    /// <summary>Creates the exception for a schedule id.</summary>
    /// <param name="scheduleId">The id that was not found.</param>
    public JobScheduleNotFoundException(string scheduleId)
        : base($"Schedule '{scheduleId}' was not found: no schedule has this id (ids are compared ordinally, case-sensitive).")
    {
        ScheduleId = scheduleId;
    }

    /// <summary>Gets the id that was not found.</summary>
    public string ScheduleId { get; }
}
