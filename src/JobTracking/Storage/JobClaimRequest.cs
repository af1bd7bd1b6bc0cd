namespace JobTracking.Storage;

/// <summary>What an instance asks of <see cref="IJobStore.ClaimAsync"/>: up to <see cref="MaxCount"/> queued jobs, moved to Running for it, each on a lease.</summary>
public sealed class JobClaimRequest
{
    /// <summary>Gets the unique id of the claiming instance; stored with each claimed job as its owner.</summary>
    public required string InstanceId { get; init; }

    /// <summary>Gets the claiming instance's display name (<see cref="JobTrackingOptions.NodeName"/>); stored as the jobs' node.</summary>
    public required string Node { get; init; }

    /// <summary>Gets the most jobs to claim; at least 1.</summary>
    public required int MaxCount { get; init; }

    /// <summary>Gets when the claim happens, by the caller's clock; stored as the jobs' start time when they have none.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets how long the lease on each claimed job lasts, from the store's now, unless renewed. At least one second.</summary>
    public required TimeSpan LeaseDuration { get; init; }

    /// <summary>Gets the most jobs of each listed type to claim (0 leaves the type queued); unlisted types are limited by <see cref="MaxCount"/> alone.</summary>
    public IReadOnlyDictionary<string, int> TypeLimits { get; init; } = EmptyLimits;

    private static IReadOnlyDictionary<string, int> EmptyLimits { get; } = new Dictionary<string, int>();
}
