namespace JobTracking.Storage;

/// <summary>The instances (<see cref="IJobInstanceStore"/>): one entry per instance id, dated by the store's <see cref="TimeProvider"/>.</summary>
public sealed partial class InMemoryJobStore : IJobInstanceStore
{
    private readonly Lock _instancesLock = new();
    private readonly SortedDictionary<string, JobInstanceRecord> _instances = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public ValueTask RecordHeartbeatAsync(JobInstanceHeartbeat heartbeat, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckHeartbeat(heartbeat);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_instancesLock)
        {
            var now = _time.GetUtcNow();
            _instances[heartbeat.InstanceId] = new JobInstanceRecord
            {
                InstanceId = heartbeat.InstanceId,
                Node = heartbeat.Node,
                Version = heartbeat.Version,
                MaxConcurrency = heartbeat.MaxConcurrency,
                RunningJobs = heartbeat.RunningJobs,
                StartedAt = _instances.TryGetValue(heartbeat.InstanceId, out var held) ? held.StartedAt : now,
                HeartbeatAt = now,
            };
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<JobInstanceList> GetInstancesAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_instancesLock)
        {
            return new(new JobInstanceList { Now = _time.GetUtcNow(), Instances = [.. _instances.Values] });
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> RemoveInstanceAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_instancesLock)
        {
            return new(_instances.Remove(instanceId));
        }
    }

    /// <inheritdoc/>
    public ValueTask<int> PurgeInstancesAsync(TimeSpan silentFor, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(silentFor, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_instancesLock)
        {
            var cutoff = _time.GetUtcNow() - silentFor;
            var silent = _instances.Values.Where(i => i.HeartbeatAt < cutoff).Select(i => i.InstanceId).ToList();
            foreach (var id in silent)
            {
                _instances.Remove(id);
            }

            return new(silent.Count);
        }
    }
}
