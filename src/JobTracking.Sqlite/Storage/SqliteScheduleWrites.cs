using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The writes of recurring schedules: each a compare-and-set on the schedule's version, in one statement.</summary>
internal sealed class SqliteScheduleWrites : IDisposable
{
    private readonly SqliteStatement _insert;
    private readonly SqliteStatement _update;
    private readonly SqliteStatement _delete;

    public SqliteScheduleWrites(SqliteConnection connection)
    {
        var p = SqliteScheduleRows.Parameters;
        _insert = new SqliteStatement(
            connection,
            $"INSERT INTO job_schedules ({SqliteSchema.ScheduleColumns}) VALUES ({string.Join(", ", p)}) ON CONFLICT (id) DO NOTHING",
            p);

        // Every field replaced, the id kept; the version stored must be the one before the new one.
        var columns = SqliteSchema.ScheduleColumns.Split(", ");
        var assignments = string.Join(", ", columns.Skip(1).Select((column, i) => $"{column} = {p[i + 1]}"));
        _update = new SqliteStatement(connection, $"UPDATE job_schedules SET {assignments} WHERE id = @id AND version = @version - 1", p);
        _delete = new SqliteStatement(connection, "DELETE FROM job_schedules WHERE id = @id AND version = @version", "@id", "@version");
    }

    /// <summary>Stores a schedule: version 1 only when its id is free, version n only over the stored version n - 1.</summary>
    /// <returns><see langword="true"/> when stored.</returns>
    public bool TrySave(JobScheduleRecord schedule)
    {
        var p = schedule.Version == 1 ? _insert : _update;
        SqliteScheduleRows.Bind(p, schedule);
        return p.Execute() == 1;
    }

    /// <summary>Deletes a schedule if it still has <paramref name="expectedVersion"/>.</summary>
    /// <returns><see langword="true"/> when deleted.</returns>
    public bool TryDelete(string scheduleId, long expectedVersion)
    {
        _delete.Bind(0, scheduleId);
        _delete.Bind(1, expectedVersion);
        return _delete.Execute() == 1;
    }

    public void Dispose()
    {
        _insert.Dispose();
        _update.Dispose();
        _delete.Dispose();
    }
}
