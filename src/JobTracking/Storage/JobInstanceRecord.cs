namespace JobTracking.Storage;

/// <summary>An instance as a store keeps it (<see cref="IJobInstanceStore.GetInstancesAsync"/>): its last heartbeat, and when it was first and last heard of by the store's clock.</summary>
public sealed record JobInstanceRecord
{
    /// <summary>Gets the instance's unique id.</summary>
    public required string InstanceId { get; init; }

    /// <summary>Gets the instance's display name, as its last heartbeat gave it.</summary>
    public required string Node { get; init; }

    /// <summary>Gets the version of the JobTracking library the instance runs.</summary>
    public required string Version { get; init; }

    /// <summary>Gets how many jobs the instance runs at most at once.</summary>
    public required int MaxConcurrency { get; init; }

    /// <summary>Gets how many jobs the instance was running at its last heartbeat.</summary>
    public required int RunningJobs { get; init; }

    /// <summary>Gets when the store recorded the instance's first heartbeat, by the store's clock.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets when the store recorded the instance's last heartbeat, by the store's clock.</summary>
    public required DateTimeOffset HeartbeatAt { get; init; }
}
