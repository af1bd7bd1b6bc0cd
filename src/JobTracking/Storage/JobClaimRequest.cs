namespace JobTracking;

/// <summary>What a node asks of <see cref="IJobStore.ClaimAsync"/>: up to <see cref="MaxCount"/> queued jobs, moved to Running for it.</summary>
public sealed record JobClaimRequest
{
    /// <summary>Gets the node that claims the jobs; stored as their node.</summary>
    public required string Node { get; init; }

    /// <summary>Gets the most jobs to claim; at least 1.</summary>
    public required int MaxCount { get; init; }

    /// <summary>Gets when the claim happens; stored as the jobs' start time.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Gets the most jobs of each listed type to claim (0 leaves the type queued); unlisted types are limited by <see cref="MaxCount"/> alone.</summary>
    public IReadOnlyDictionary<string, int> TypeLimits { get; init; } = EmptyLimits;

    private static IReadOnlyDictionary<string, int> EmptyLimits { get; } = new Dictionary<string, int>();
}
