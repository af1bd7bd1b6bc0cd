namespace JobTracking.Storage;

/// <summary>The instances a store holds and the store's clock when it read them, so that how long each has been silent is judged by the clock that dated its heartbeats.</summary>
public sealed class JobInstanceList
{
    /// <summary>Gets the store's now at the read.</summary>
    public required DateTimeOffset Now { get; init; }

    /// <summary>Gets the instances, ordered by instance id (ordinal).</summary>
    public required IReadOnlyList<JobInstanceRecord> Instances { get; init; }
}
