using JobTracking.PostgreSql.Storage;
using JobTracking.Storage;

namespace JobTracking.PostgreSql;

/// <summary>The instances sharing the schema, in its job_instances table, dated by the database's clock.</summary>
public sealed partial class PostgreSqlJobStore : IJobInstanceStore
{
    /// <inheritdoc/>
    /// <remarks>One upsert on a pooled connection, dated by the database's <c>now()</c>, the clock that judges leases.</remarks>
    public async ValueTask RecordHeartbeatAsync(JobInstanceHeartbeat heartbeat, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckHeartbeat(heartbeat);
        await Opened(cancellationToken).ConfigureAwait(false);
        await _instances.BeatAsync(heartbeat, Now(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<JobInstanceList> GetInstancesAsync(CancellationToken cancellationToken = default)
    {
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _instances.ListAsync(Now(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> RemoveInstanceAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _instances.RemoveAsync(instanceId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>One statement: the rows whose heartbeat is older than the database's <c>now()</c> minus <paramref name="silentFor"/>.</remarks>
    public async ValueTask<int> PurgeInstancesAsync(TimeSpan silentFor, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(silentFor, TimeSpan.Zero);
        await Opened(cancellationToken).ConfigureAwait(false);
        return await _instances.PurgeAsync(silentFor, Now(), cancellationToken).ConfigureAwait(false);
    }
}
