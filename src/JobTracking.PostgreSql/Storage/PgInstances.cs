using JobTracking.Storage;
using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>
/// The job_instances table: one row per instance id, each heartbeat one upsert on a pooled connection that keeps the
/// first heartbeat's time. Every time is the database's (<see cref="PgStatements.Now"/>), the clock that judges leases.
/// </summary>
internal sealed class PgInstances(NpgsqlDataSource dataSource, string schema)
{
    private const string Columns = "instance_id, node, version, max_concurrency, running_jobs, started_at, heartbeat_at";
    private static readonly string ParameterNow = PgStatements.Now.Replace("$NOW", "$1", StringComparison.Ordinal);

    private readonly string _beat =
        $"INSERT INTO {PgSchema.Quote(schema)}.job_instances ({Columns}) " +
        $"SELECT $2, $3, $4, $5, $6, t, t FROM (SELECT {ParameterNow} AS t) AS now " +
        "ON CONFLICT (instance_id) DO UPDATE SET node = excluded.node, version = excluded.version, max_concurrency = excluded.max_concurrency, " +
        "running_jobs = excluded.running_jobs, heartbeat_at = excluded.heartbeat_at";

    private readonly string _remove = $"DELETE FROM {PgSchema.Quote(schema)}.job_instances WHERE instance_id = $1";
    private readonly string _purge = $"DELETE FROM {PgSchema.Quote(schema)}.job_instances WHERE heartbeat_at < {ParameterNow} - $2";

    public async Task BeatAsync(JobInstanceHeartbeat heartbeat, DateTimeOffset? now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(_beat);
        command.Parameters.Add(PgRows.Time(now));
        command.Parameters.Add(PgRows.Text(heartbeat.InstanceId));
        command.Parameters.Add(PgRows.Text(heartbeat.Node));
        command.Parameters.Add(PgRows.Text(heartbeat.Version));
        command.Parameters.Add(PgRows.Int(heartbeat.MaxConcurrency));
        command.Parameters.Add(PgRows.Int(heartbeat.RunningJobs));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<JobInstanceList> ListAsync(DateTimeOffset? now, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        var clock = new NpgsqlBatchCommand($"SELECT {ParameterNow}");
        clock.Parameters.Add(PgRows.Time(now));
        batch.BatchCommands.Add(clock);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT {Columns} FROM {PgSchema.Quote(schema)}.job_instances"));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var at = PgRows.ReadTime(reader, 0);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var instances = new List<JobInstanceRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            instances.Add(Read(reader));
        }

        // The server orders the stored (escaped) text by its collation; the contract orders ids ordinally (UTF-16).
        instances.Sort(static (a, b) => string.CompareOrdinal(a.InstanceId, b.InstanceId));
        return new JobInstanceList { Now = at, Instances = instances };
    }

    public async Task<bool> RemoveAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(_remove);
        command.Parameters.Add(PgRows.Text(instanceId));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task<int> PurgeAsync(TimeSpan silentFor, DateTimeOffset? now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(_purge);
        command.Parameters.Add(PgRows.Time(now));
        command.Parameters.Add(PgRows.Interval(silentFor));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <exception cref="JobTrackingException">The row holds what this store never writes (it was edited by hand): the message names the instance.</exception>
    private static JobInstanceRecord Read(NpgsqlDataReader r)
    {
        var id = r.GetString(0);
        try
        {
            return new JobInstanceRecord
            {
                InstanceId = PgRows.ReadText(r, 0),
                Node = PgRows.ReadText(r, 1),
                Version = PgRows.ReadText(r, 2),
                MaxConcurrency = r.GetInt32(3),
                RunningJobs = r.GetInt32(4),
                StartedAt = PgRows.ReadTime(r, 5),
                HeartbeatAt = PgRows.ReadTime(r, 6),
            };
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException)
        {
            throw new JobTrackingException($"The stored row of instance '{id}' is malformed and cannot be read: {ex.Message}", ex);
        }
    }
}
