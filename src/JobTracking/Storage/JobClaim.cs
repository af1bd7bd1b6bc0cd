namespace JobTracking;

/// <summary>Who owns an active job: the instance that claimed it, the claim its run writes under, and when the lease ends unless renewed.</summary>
public sealed record JobClaim
{
    /// <summary>Gets the unique id of the instance that owns the job.</summary>
    public required string InstanceId { get; init; }

    /// <summary>Gets the claim: every write the owning run makes carries it, and the store refuses those of any other.</summary>
    public required Guid ClaimId { get; init; }

    /// <summary>Gets when the lease ends, by the store's clock, unless renewed; after that any instance may reclaim the job.</summary>
    public required DateTimeOffset LeaseExpiresAt { get; init; }
}
