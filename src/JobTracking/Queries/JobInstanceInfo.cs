namespace JobTracking;

/// <summary>One instance sharing the store, as <see cref="IJobTracker.GetInstancesAsync"/> lists it (Hangfire's "servers").</summary>
public sealed class JobInstanceInfo
{
    /// <summary>Gets the instance's unique id (machine, process id, random part).</summary>
    public required string InstanceId { get; init; }

    /// <summary>Gets the instance's display name (<see cref="JobTrackingOptions.NodeName"/>); several instances may share one.</summary>
    public required string Node { get; init; }

    /// <summary>Gets the version of the JobTracking library the instance runs.</summary>
    public required string Version { get; init; }

    /// <summary>Gets when the instance started, by the store's clock (its first heartbeat).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets when the store recorded the instance's last heartbeat, by the store's clock.</summary>
    public required DateTimeOffset LastHeartbeatAt { get; init; }

    /// <summary>Gets how long ago the last heartbeat was, by the store's clock.</summary>
    public required TimeSpan SilentFor { get; init; }

    /// <summary>Gets whether the instance answers: its last heartbeat is at most three lease durations old (<see cref="JobTrackingOptions.LeaseDuration"/>). One that does not answer is listed until <see cref="JobTrackingOptions.ForgetInstancesAfter"/>, then forgotten.</summary>
    public required bool IsAnswering { get; init; }

    /// <summary>Gets how many jobs the instance runs at most at once (its workers).</summary>
    public required int MaxConcurrency { get; init; }

    /// <summary>Gets how many jobs the instance was running at its last heartbeat.</summary>
    public required int RunningJobs { get; init; }

    /// <summary>Gets whether this is the instance that answered the call.</summary>
    public required bool IsCurrent { get; init; }
}
