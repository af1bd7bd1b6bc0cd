using System.Globalization;
using JobTracking.Storage;

namespace JobTracking.Sqlite.Storage;

/// <summary>Reads and binds the rows of job_schedules: every field of a <see cref="JobScheduleRecord"/>, text as UTF-8 (NUL included), times as UTC ticks.</summary>
internal static class SqliteScheduleRows
{
    /// <summary>Binds a schedule's fields to a statement whose first parameters are those of <see cref="SqliteSchema.ScheduleColumns"/>, in order.</summary>
    public static void Bind(SqliteStatement p, JobScheduleRecord schedule)
    {
        p.Bind(0, schedule.Id);
        p.Bind(1, schedule.Version);
        p.Bind(2, schedule.TypeName);
        p.Bind(3, schedule.Parameters);
        p.Bind(4, schedule.Cron);
        p.Bind(5, schedule.TimeZone);
        p.Bind(6, schedule.DisplayName);
        p.Bind(7, schedule.Priority);
        p.Bind(8, schedule.ConcurrencyKey);
        p.Bind(9, (long)schedule.Misfire);
        p.Bind(10, (long)schedule.Overlap);
        p.Bind(11, schedule.IsPaused);
        p.Bind(12, schedule.CreatedAt);
        p.Bind(13, schedule.UpdatedAt);
        p.Bind(14, schedule.LastOccurrence);
        p.Bind(15, schedule.LastJobId);
        p.Bind(16, schedule.NextOccurrence);
    }

    /// <summary>The parameters <see cref="Bind"/> binds, in order, each read as text where the column is text.</summary>
    public static readonly string[] Parameters =
        ["@id", "@version", "@type", "@parameters", "@cron", "@timeZone", "@name", "@priority", "@key", "@misfire", "@overlap", "@paused", "@created", "@updated", "@last", "@lastJob", "@next"];

    /// <summary>Reads a row whose columns are <see cref="SqliteSchema.ScheduleColumns"/>.</summary>
    /// <exception cref="JobTrackingException">The row holds what this store never writes (it was edited by hand): the message names the schedule and the column.</exception>
    public static JobScheduleRecord Read(SqliteStatement r)
    {
        var id = r.GetText(0) ?? string.Empty;
        try
        {
            return new JobScheduleRecord
            {
                Id = id,
                Version = StoredRow.Version(SqliteRows.Integer(r, 1, "version")),
                TypeName = Text(r, 2, "type_name"),
                Parameters = Text(r, 3, "parameters"),
                Cron = Text(r, 4, "cron"),
                TimeZone = Text(r, 5, "time_zone"),
                DisplayName = r.GetText(6),
                Priority = Int32(r, 7, "priority"),
                ConcurrencyKey = r.GetText(8),
                Misfire = Enum<JobScheduleMisfire>(r, 9, "misfire"),
                Overlap = Enum<JobScheduleOverlap>(r, 10, "overlap"),
                IsPaused = SqliteRows.Integer(r, 11, "is_paused") switch
                {
                    0 => false,
                    1 => true,
                    var other => throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"is_paused: {other} is neither 0 nor 1.")),
                },
                CreatedAt = SqliteRows.Time(SqliteRows.Integer(r, 12, "created_at"), "created_at"),
                UpdatedAt = SqliteRows.Time(SqliteRows.Integer(r, 13, "updated_at"), "updated_at"),
                LastOccurrence = SqliteRows.NullableTime(r, 14, "last_occurrence"),
                LastJobId = r.IsNull(15) ? null : JobId(r, 15, "last_job_id"),
                NextOccurrence = SqliteRows.NullableTime(r, 16, "next_occurrence"),
            };
        }
        catch (FormatException ex)
        {
            throw new JobTrackingException($"The stored row of schedule '{id}' is malformed and cannot be read: {ex.Message}", ex);
        }
    }

    internal static string Text(SqliteStatement r, int ordinal, string column) =>
        r.GetText(ordinal) ?? throw new FormatException($"{column}: NULL, where a text is required.");

    internal static int Int32(SqliteStatement r, int ordinal, string column)
    {
        var value = SqliteRows.Integer(r, ordinal, column);
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{column}: {value} is out of the range of a 32-bit integer."));
    }

    private static TEnum Enum<TEnum>(SqliteStatement r, int ordinal, string column)
        where TEnum : struct, Enum
    {
        var value = Int32(r, ordinal, column);
        var parsed = (TEnum)(object)value;
        return System.Enum.IsDefined(parsed)
            ? parsed
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{column}: {value} is not a {typeof(TEnum).Name} value."));
    }

    private static Guid JobId(SqliteStatement r, int ordinal, string column) =>
        ((IStoredRow)r).GetValue(ordinal) is byte[] { Length: 16 }
            ? r.GetId(ordinal)
            : throw new FormatException($"{column}: not a job id; ids are stored as 16 bytes.");
}
