using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace JobTracking.PostgreSql.Storage;

/// <summary>The schedules table: each read and each compare-and-set one statement on a pooled connection (schedules change seldom, so they need no batching).</summary>
internal sealed class PgSchedules(NpgsqlDataSource dataSource, string schema)
{
    private const string Columns =
        "id, version, type_name, parameters, cron, time_zone, display_name, priority, concurrency_key, misfire, overlap, is_paused, created_at, updated_at, " +
        "last_occurrence, last_job_id, next_occurrence";

    private readonly string _all = $"SELECT {Columns} FROM {PgSchema.Quote(schema)}.job_schedules ORDER BY id";
    private readonly string _one = $"SELECT {Columns} FROM {PgSchema.Quote(schema)}.job_schedules WHERE id = $1";
    private readonly string _insert =
        $"INSERT INTO {PgSchema.Quote(schema)}.job_schedules ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT (id) DO NOTHING";

    // Every field is replaced, if the stored schedule has the version before the new one.
    private readonly string _update =
        $"UPDATE {PgSchema.Quote(schema)}.job_schedules SET version = $2, type_name = $3, parameters = $4, cron = $5, time_zone = $6, display_name = $7, priority = $8, " +
        "concurrency_key = $9, misfire = $10, overlap = $11, is_paused = $12, created_at = $13, updated_at = $14, last_occurrence = $15, last_job_id = $16, " +
        "next_occurrence = $17 WHERE id = $1 AND version = $2 - 1";

    private readonly string _delete = $"DELETE FROM {PgSchema.Quote(schema)}.job_schedules WHERE id = $1 AND version = $2";

    public async Task<IReadOnlyList<JobScheduleRecord>> GetAllAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(_all);
        var schedules = new List<JobScheduleRecord>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                schedules.Add(Read(reader));
            }
        }

        // The server orders the stored (escaped) ids by their UTF-8 bytes; an id with NUL or a character above U+FFFF sorts
        // otherwise in .NET's ordinal (UTF-16) order, which the contract promises. A stable sort of an ordered list is cheap.
        schedules.Sort(static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        return schedules;
    }

    public async Task<JobScheduleRecord?> GetAsync(string scheduleId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(_one);
        command.Parameters.Add(PgRows.Text(scheduleId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    public async Task<bool> TrySaveAsync(JobScheduleRecord schedule, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(schedule.Version == 1 ? _insert : _update);
        command.Parameters.Add(PgRows.Text(schedule.Id));
        command.Parameters.Add(PgRows.Long(schedule.Version));
        command.Parameters.Add(PgRows.Text(schedule.TypeName));
        command.Parameters.Add(PgRows.Text(schedule.Parameters));
        command.Parameters.Add(PgRows.Text(schedule.Cron));
        command.Parameters.Add(PgRows.Text(schedule.TimeZone));
        command.Parameters.Add(PgRows.Text(schedule.DisplayName));
        command.Parameters.Add(PgRows.Int(schedule.Priority));
        command.Parameters.Add(PgRows.Text(schedule.ConcurrencyKey));
        command.Parameters.Add(PgRows.Param((short)schedule.Misfire, NpgsqlDbType.Smallint));
        command.Parameters.Add(PgRows.Param((short)schedule.Overlap, NpgsqlDbType.Smallint));
        command.Parameters.Add(PgRows.Bool(schedule.IsPaused));
        command.Parameters.Add(PgRows.Time(schedule.CreatedAt));
        command.Parameters.Add(PgRows.Time(schedule.UpdatedAt));
        command.Parameters.Add(PgRows.Time(schedule.LastOccurrence));
        command.Parameters.Add(PgRows.Uuid(schedule.LastJobId));
        command.Parameters.Add(PgRows.Time(schedule.NextOccurrence));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task<bool> TryDeleteAsync(string scheduleId, long expectedVersion, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(_delete);
        command.Parameters.Add(PgRows.Text(scheduleId));
        command.Parameters.Add(PgRows.Long(expectedVersion));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <exception cref="JobTrackingException">The row holds what this store never writes (it was edited by hand): the message names the schedule and the column.</exception>
    private static JobScheduleRecord Read(NpgsqlDataReader r)
    {
        var id = r.GetString(0);
        try
        {
            return new JobScheduleRecord
            {
                Id = Column(r, 0, "id", PgRows.ReadText),
                Version = Version(r.GetInt64(1)),
                TypeName = Column(r, 2, "type_name", PgRows.ReadText),
                Parameters = Column(r, 3, "parameters", PgRows.ReadText),
                Cron = Column(r, 4, "cron", PgRows.ReadText),
                TimeZone = Column(r, 5, "time_zone", PgRows.ReadText),
                DisplayName = Column(r, 6, "display_name", PgRows.NullableText),
                Priority = r.GetInt32(7),
                ConcurrencyKey = Column(r, 8, "concurrency_key", PgRows.NullableText),
                Misfire = Defined((JobScheduleMisfire)r.GetInt16(9), "misfire"),
                Overlap = Defined((JobScheduleOverlap)r.GetInt16(10), "overlap"),
                IsPaused = r.GetBoolean(11),
                CreatedAt = PgRows.ReadTime(r, 12),
                UpdatedAt = PgRows.ReadTime(r, 13),
                LastOccurrence = PgRows.NullableTime(r, 14),
                LastJobId = r.IsDBNull(15) ? null : r.GetGuid(15),
                NextOccurrence = PgRows.NullableTime(r, 16),
            };
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException)
        {
            throw new JobTrackingException($"The stored row of schedule '{id}' is malformed and cannot be read: {ex.Message}", ex);
        }
    }

    private static long Version(long version) =>
        version >= 1 ? version : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"version: {version} is not a version; a schedule's version starts at 1."));

    private static T Column<T>(NpgsqlDataReader r, int ordinal, string column, Func<NpgsqlDataReader, int, T> read)
    {
        try
        {
            return read(r, ordinal);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{column}: {ex.Message}", ex);
        }
    }

    private static T Defined<T>(T value, string column)
        where T : struct, Enum =>
        Enum.IsDefined(value) ? value : throw new FormatException($"{column}: {value} is not a {typeof(T).Name} value.");
}
