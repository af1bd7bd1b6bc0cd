using JobTracking.Storage;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>
/// The job_instances table: one row per instance id, each heartbeat one upsert that keeps the first heartbeat's time,
/// dated by the store's <see cref="TimeProvider"/> (the clock that judges leases here). A statement is prepared per
/// call: a heartbeat comes once per lease renewal interval, not on the hot path.
/// </summary>
internal static class SqliteInstances
{
    private const string Columns = "instance_id, node, version, max_concurrency, running_jobs, started_at, heartbeat_at";

    public static int Beat(SqliteConnection connection, JobInstanceHeartbeat heartbeat, DateTimeOffset now)
    {
        using var upsert = new SqliteStatement(
            connection,
            $"INSERT INTO job_instances ({Columns}) VALUES (@id, @node, @version, @workers, @running, @now, @now) " +
            "ON CONFLICT (instance_id) DO UPDATE SET node = excluded.node, version = excluded.version, max_concurrency = excluded.max_concurrency, " +
            "running_jobs = excluded.running_jobs, heartbeat_at = excluded.heartbeat_at",
            "@id", "@node", "@version", "@workers", "@running", "@now");
        upsert.Bind(0, heartbeat.InstanceId);
        upsert.Bind(1, heartbeat.Node);
        upsert.Bind(2, heartbeat.Version);
        upsert.Bind(3, heartbeat.MaxConcurrency);
        upsert.Bind(4, heartbeat.RunningJobs);
        upsert.Bind(5, now);
        return upsert.Execute();
    }

    public static bool Remove(SqliteConnection connection, string instanceId)
    {
        using var delete = new SqliteStatement(connection, "DELETE FROM job_instances WHERE instance_id = @id", "@id");
        delete.Bind(0, instanceId);
        return delete.Execute() == 1;
    }

    public static int Purge(SqliteConnection connection, DateTimeOffset cutoff)
    {
        using var delete = new SqliteStatement(connection, "DELETE FROM job_instances WHERE heartbeat_at < @cutoff", "@cutoff");
        delete.Bind(0, cutoff);
        return delete.Execute();
    }

    /// <exception cref="JobTrackingException">A row holds what this store never writes (it was edited by hand): the message names the instance and the column.</exception>
    public static List<JobInstanceRecord> List(SqliteConnection connection)
    {
        using var select = new SqliteStatement(connection, $"SELECT {Columns} FROM job_instances");
        var instances = new List<JobInstanceRecord>();
        try
        {
            while (select.Step())
            {
                instances.Add(Read(select));
            }
        }
        finally
        {
            select.Reset();
        }

        // SQLite's BINARY collation orders UTF-8 bytes; the contract orders ids ordinally (UTF-16), as .NET does.
        instances.Sort(static (a, b) => string.CompareOrdinal(a.InstanceId, b.InstanceId));
        return instances;
    }

    private static JobInstanceRecord Read(SqliteStatement r)
    {
        var id = r.GetText(0) ?? string.Empty;
        try
        {
            return new JobInstanceRecord
            {
                InstanceId = id,
                Node = SqliteScheduleRows.Text(r, 1, "node"),
                Version = SqliteScheduleRows.Text(r, 2, "version"),
                MaxConcurrency = SqliteScheduleRows.Int32(r, 3, "max_concurrency"),
                RunningJobs = SqliteScheduleRows.Int32(r, 4, "running_jobs"),
                StartedAt = SqliteRows.Time(SqliteRows.Integer(r, 5, "started_at"), "started_at"),
                HeartbeatAt = SqliteRows.Time(SqliteRows.Integer(r, 6, "heartbeat_at"), "heartbeat_at"),
            };
        }
        catch (FormatException ex)
        {
            throw new JobTrackingException($"The stored row of instance '{id}' is malformed and cannot be read: {ex.Message}", ex);
        }
    }
}
