namespace JobTracking.Storage;

/// <summary>What an instance asks of <see cref="IJobStore.RenewLeasesAsync"/>: longer leases on the jobs it runs.</summary>
public sealed class JobLeaseRenewal
{
    /// <summary>Gets the instance that owns the claims.</summary>
    public required string InstanceId { get; init; }

    /// <summary>Gets the claims to renew, those of the instance's runs: each job's id with the claim id its run holds.</summary>
    public required IReadOnlyDictionary<Guid, Guid> Claims { get; init; }

    /// <summary>Gets how long each renewed lease lasts, from the store's now.</summary>
    public required TimeSpan LeaseDuration { get; init; }
}
