namespace JobTracking.Tests;

/// <summary>New jobs to hand a store directly, as the engine would build them.</summary>
internal static class NewJobs
{
    /// <summary>A queued job of type "t" with empty parameters, at version 1.</summary>
    public static JobRecord Queued(DateTimeOffset createdAt, int priority = 0) => new()
    {
        Id = Guid.CreateVersion7(),
        TypeName = "t",
        DisplayName = "job",
        Status = JobStatus.Queued,
        Version = 1,
        Parameters = "{}",
        CreatedAt = createdAt,
        Priority = priority,
    };
}
