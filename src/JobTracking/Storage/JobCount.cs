namespace JobTracking;

/// <summary>How many jobs of one type are in one status.</summary>
public sealed class JobCount
{
    /// <summary>Gets the job type's name.</summary>
    public required string TypeName { get; init; }

    /// <summary>Gets the status.</summary>
    public required JobStatus Status { get; init; }

    /// <summary>Gets how many jobs of <see cref="TypeName"/> are in <see cref="Status"/>.</summary>
    public required long Count { get; init; }
}
