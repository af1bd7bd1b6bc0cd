namespace JobTracking.Storage;

/// <summary>What a run stores with <see cref="IJobStore.SaveProgressAsync"/>: its report and, at a safe point, its checkpoint.</summary>
public sealed class JobProgressUpdate
{
    /// <summary>Gets the job.</summary>
    public required Guid JobId { get; init; }

    /// <summary>Gets the claim the run holds; the update is refused once it is not the job's current claim. <see langword="null"/> writes without that check (tools and tests).</summary>
    public Guid? ClaimId { get; init; }

    /// <summary>Gets the progress, steps and warnings count.</summary>
    public required JobReport Report { get; init; }

    /// <summary>Gets whether <see cref="Checkpoint"/> is stored, with <see cref="Report"/> as its report.</summary>
    public bool HasCheckpoint { get; init; }

    /// <summary>Gets the checkpoint to store when <see cref="HasCheckpoint"/> is set.</summary>
    public string? Checkpoint { get; init; }
}
