namespace JobTracking.Storage;

/// <summary>What an instance says of itself at each heartbeat (<see cref="IJobInstanceStore.RecordHeartbeatAsync"/>).</summary>
public sealed record JobInstanceHeartbeat
{
    /// <summary>The longest instance id, node name or version accepted.</summary>
    public const int MaxTextLength = 500;

    /// <summary>Gets the instance's unique id (machine, process id, random part); the row's key, compared ordinally.</summary>
    public required string InstanceId { get; init; }

    /// <summary>Gets the instance's display name (<see cref="JobTrackingOptions.NodeName"/>), which several instances may share.</summary>
    public required string Node { get; init; }

    /// <summary>Gets the version of the JobTracking library the instance runs.</summary>
    public required string Version { get; init; }

    /// <summary>Gets how many jobs the instance runs at most at once (<see cref="JobTrackingOptions.MaxConcurrency"/>), at least 1.</summary>
    public required int MaxConcurrency { get; init; }

    /// <summary>Gets how many jobs the instance was running when it sent the heartbeat, 0 or more.</summary>
    public required int RunningJobs { get; init; }
}
