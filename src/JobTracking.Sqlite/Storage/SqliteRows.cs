using JobTracking.Storage;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>Converts between rows and the records the engine reads: ids, times, text, steps and reports.</summary>
internal static class SqliteRows
{
    /// <summary>The most rows one statement names by parameters; far below SQLite's limit of 32,766 parameters.</summary>
    public const int ChunkSize = 500;

    public static byte[] Id(Guid id) => id.ToByteArray(bigEndian: true);

    public static object Id(Guid? id) => id is { } value ? Id(value) : DBNull.Value;

    public static Guid ReadId(SqliteDataReader reader, int ordinal) => new(reader.GetFieldValue<byte[]>(ordinal), bigEndian: true);

    public static long Ticks(DateTimeOffset at) => at.UtcTicks;

    public static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    /// <summary>A text value to bind as <c>CAST(@p AS TEXT)</c>: the string, or its UTF-8 bytes when it holds a NUL character (Microsoft.Data.Sqlite cuts long strings at the first one).</summary>
    public static object Text(string? text) => text is null ? DBNull.Value : text.Contains('\0', StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(text) : text;

    /// <summary>The SQL that reads a parameter bound with <see cref="Text"/>: bytes are cast back to TEXT.</summary>
    public static string AsText(string parameter) => $"CAST({parameter} AS TEXT)";

    /// <summary>Appends <c>@p0, @p1, ...</c> to <paramref name="sql"/> and binds the ids to them; only parameter names go into the text.</summary>
    public static void AppendIds(StringBuilder sql, SqliteCommand command, Guid[] ids)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            var name = "@p" + i.ToString(CultureInfo.InvariantCulture);
            sql.Append(i == 0 ? "" : ", ").Append(name);
            command.Parameters.AddWithValue(name, Id(ids[i]));
        }
    }

    public static object Value(long? number) => number is { } n ? n : DBNull.Value;

    public static object Value(DateTimeOffset? at) => at is { } t ? t.UtcTicks : DBNull.Value;

    /// <summary>Reads a row whose first columns are <see cref="SqliteSchema.JobColumns"/>.</summary>
    /// <exception cref="JobTrackingException">The row holds what this store never writes (it was edited by hand): the message names the job and the column.</exception>
    public static JobRecord ReadJob(SqliteDataReader r) => ReadJob(new ReaderRow(r));

    /// <summary>Reads a row whose first columns are <see cref="SqliteSchema.JobColumns"/> from a statement stepped through SQLite's API.</summary>
    /// <exception cref="JobTrackingException">The row holds what this store never writes (it was edited by hand): the message names the job and the column.</exception>
    public static JobRecord ReadJob(SqliteStatement r) => ReadJob<SqliteStatement>(r);

    /// <summary>Reads a job row for a claim or a reclaim, which must go on with the other rows when one cannot be read.</summary>
    /// <returns>The job, or <see langword="null"/> with the row in <paramref name="unreadable"/> (its id, status and the error naming what is wrong).</returns>
    public static JobRecord? TryReadJob(SqliteDataReader r, List<UnreadableJob> unreadable) => TryReadJob(new ReaderRow(r), unreadable);

    /// <inheritdoc cref="TryReadJob(SqliteDataReader, List{UnreadableJob})"/>
    public static JobRecord? TryReadJob(SqliteStatement r, List<UnreadableJob> unreadable) => TryReadJob<SqliteStatement>(r, unreadable);

    private static JobRecord ReadJob<TRow>(TRow r)
        where TRow : IStoredRow
    {
        var id = r.GetId(0);
        try
        {
            return ReadRow(r, id);
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or InvalidOperationException or OverflowException or ArgumentException)
        {
            throw new JobTrackingException($"The stored row of job '{id}' is malformed and cannot be read: {ex.Message}", ex);
        }
    }

    private static JobRecord? TryReadJob<TRow>(TRow r, List<UnreadableJob> unreadable)
        where TRow : IStoredRow
    {
        try
        {
            return ReadJob(r);
        }
        catch (JobTrackingException ex)
        {
            unreadable.Add(new UnreadableJob(r.GetId(0), r.IsInteger(3) ? r.GetInt64(3) : null, ex));
            return null;
        }
    }

    /// <summary>Reads a status column strictly: an integer that is the number of a status.</summary>
    /// <exception cref="FormatException">The column holds text, a real number, bytes, or a number no status has (a row edited by hand); the message names the column and the value.</exception>
    public static JobStatus ReadStatus(SqliteDataReader r, int ordinal) => ReadStatus(new ReaderRow(r), ordinal);

    private static JobStatus ReadStatus<TRow>(TRow r, int ordinal)
        where TRow : IStoredRow =>
        r.IsInteger(ordinal) ? StoredRow.Status(r.GetInt64(ordinal)) : throw StoredRow.NotAStatus(r.GetValue(ordinal));

    /// <summary>Reads a status column where a row edited by hand must not stop the read (the change feed, the counts): a value that is not a status is <see cref="StoredRow.NoStatus"/>, never another status.</summary>
    public static JobStatus ReadStatusOrNone(SqliteDataReader r, int ordinal) =>
        IsInteger(r, ordinal) ? StoredRow.StatusOrNone(r.GetInt64(ordinal)) : StoredRow.NoStatus;

    // SQLite keeps in an INTEGER column whatever it is given that does not read as an integer (text such as 'Queued',
    // a real such as 1.5), and GetInt32 would read those as 0 and 1: the value's own type is checked first.
    private static bool IsInteger(SqliteDataReader r, int ordinal) => r.GetFieldType(ordinal) == typeof(long);

    private static JobRecord ReadRow<TRow>(TRow r, Guid id)
        where TRow : IStoredRow
    {
        var errorType = NullableText(r, 17);
        return new JobRecord
        {
            Id = id,
            TypeName = r.GetName(1),
            DisplayName = r.GetName(2),
            Status = ReadStatus(r, 3),
            Version = StoredRow.Version(Integer(r, 4, "version")),
            Parameters = r.GetString(5),
            LaunchedBy = NullableName(r, 6),
            Priority = r.GetInt32(7),
            ConcurrencyKey = NullableText(r, 8),
            CreatedAt = Time(r.GetInt64(9)),
            StartedAt = NullableTime(r, 10),
            EndedAt = NullableTime(r, 11),
            Attempt = r.GetInt32(12),
            Node = NullableName(r, 13),
            Progress = new JobProgress(r.GetInt64(14), r.IsDBNull(15) ? null : r.GetInt64(15)),
            Checkpoint = NullableText(r, 16),
            Error = errorType is null ? null : new JobError { Type = errorType, Message = r.GetString(18), StackTrace = NullableText(r, 19) },
            WarningCount = r.GetInt32(20),
            Steps = r.IsDBNull(21) ? [] : StoredRow.Json(r.GetString(21), "steps", JobReportJson.ReadSteps),
            Claim = r.IsDBNull(23) ? null : new JobClaim { InstanceId = NullableName(r, 22) ?? string.Empty, ClaimId = r.GetId(23), LeaseExpiresAt = NullableTime(r, 24) ?? DateTimeOffset.MinValue },
            CheckpointReport = r.IsDBNull(25) ? null : StoredRow.Json(r.GetString(25), "checkpoint_report", JobReportJson.ReadReport),
            PreviousAttempts = r.IsDBNull(26) ? [] : StoredRow.Json(r.GetString(26), "previous_attempts", ReadAttempts),
            RunAfter = NullableTime(r, 27, "run_after"),
            IdempotencyKey = NullableText(r, 28),
            IdempotentUntil = NullableTime(r, 29, "idempotent_until"),
            Timeout = NullableDuration(r, 30, "timeout"),
        };
    }

    /// <summary>Reads a row whose columns are the sequence number, then <see cref="SqliteSchema.FeedColumns"/>; a status column that holds no status reads as <see cref="StoredRow.NoStatus"/>.</summary>
    public static JobChange ReadChange(SqliteStatement r)
    {
        var errorType = r.GetText(14);
        return new JobChange
        {
            Sequence = r.GetInt64(0),
            JobId = r.GetId(1),
            Kind = (JobEventKind)(int)r.GetInt64(2),
            TypeName = r.GetNameOrNull(3) ?? string.Empty,
            DisplayName = r.GetNameOrNull(4) ?? string.Empty,
            LaunchedBy = r.GetNameOrNull(5),
            PreviousStatus = r.IsInteger(6) ? StoredRow.StatusOrNone(r.GetInt64(6)) : StoredRow.NoStatus,
            Status = r.IsInteger(7) ? StoredRow.StatusOrNone(r.GetInt64(7)) : StoredRow.NoStatus,
            Version = r.GetInt64(8),
            Attempt = (int)r.GetInt64(9),
            At = Time(r.GetInt64(10)),
            Progress = new JobProgress(r.GetInt64(11), r.IsNull(12) ? null : r.GetInt64(12)),
            WarningCount = (int)r.GetInt64(13),
            Error = errorType is null ? null : new JobError { Type = errorType, Message = r.GetText(15) ?? string.Empty, StackTrace = r.GetText(16) },
            InstanceId = r.GetNameOrNull(17),
            RunAfter = r.IsInteger(18) && r.GetInt64(18) is >= 0 and <= MaxTicks ? Time(r.GetInt64(18)) : null,
        };
    }

    /// <summary>Reads the attempts the transition's SQL appends with <c>json_object</c>: number, started and ended (UTC ticks), status, and the error's type, message and stack (null when none).</summary>
    public static IReadOnlyList<JobAttempt> ReadAttempts(string text)
    {
        using var document = JsonDocument.Parse(text);
        var attempts = new List<JobAttempt>(document.RootElement.GetArrayLength());
        foreach (var attempt in document.RootElement.EnumerateArray())
        {
            var errorType = attempt.GetProperty("errorType");
            attempts.Add(new JobAttempt
            {
                Number = attempt.GetProperty("number").GetInt32(),
                StartedAt = Time(attempt.GetProperty("started").GetInt64()),
                EndedAt = Time(attempt.GetProperty("ended").GetInt64()),
                Status = StoredRow.Status(attempt.GetProperty("status").GetInt64()),
                Error = errorType.ValueKind == JsonValueKind.Null
                    ? null
                    : new JobError { Type = errorType.GetString()!, Message = attempt.GetProperty("errorMessage").GetString() ?? string.Empty, StackTrace = attempt.GetProperty("errorStack").GetString() },
            });
        }

        return attempts;
    }

    /// <summary>Reads a time column that may be NULL strictly: UTC ticks of a time <see cref="DateTimeOffset"/> can hold.</summary>
    /// <exception cref="FormatException">The column holds something else; the message names the column and the value.</exception>
    public static DateTimeOffset? NullableTime<TRow>(TRow r, int ordinal, string column)
        where TRow : IStoredRow => r.IsDBNull(ordinal) ? null : Time(Integer(r, ordinal, column), column);

    /// <summary>A time from UTC ticks read from <paramref name="column"/>.</summary>
    /// <exception cref="FormatException">The ticks are out of <see cref="DateTimeOffset"/>'s range; the message names the column.</exception>
    public static DateTimeOffset Time(long ticks, string column) =>
        ticks is >= 0 and <= MaxTicks
            ? Time(ticks)
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{column}: {ticks} is not a time; times are stored as UTC ticks from 0 to {MaxTicks}."));

    /// <summary>Reads a duration column that may be NULL strictly: a positive number of ticks.</summary>
    /// <exception cref="FormatException">The column holds something else; the message names the column and the value.</exception>
    public static TimeSpan? NullableDuration<TRow>(TRow r, int ordinal, string column)
        where TRow : IStoredRow
    {
        if (r.IsDBNull(ordinal))
        {
            return null;
        }

        var ticks = Integer(r, ordinal, column);
        return ticks > 0
            ? TimeSpan.FromTicks(ticks)
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{column}: {ticks} is not a duration; it is stored as a positive number of ticks."));
    }

    private const long MaxTicks = 3155378975999999999; // DateTimeOffset.MaxValue.UtcTicks

    /// <summary>Reads an integer column strictly, naming the column when it holds anything else.</summary>
    /// <remarks>
    /// The columns a compare-and-set matches on are read only when they hold an integer: SQLite would read the text
    /// 'Running' as 0 (Editing) and '3abc' as 3, and a compare-and-set on what was read would never match the row.
    /// </remarks>
    /// <exception cref="FormatException">The column holds text, a real number, bytes or NULL.</exception>
    public static long Integer<TRow>(TRow r, int ordinal, string column)
        where TRow : IStoredRow
    {
        if (!r.IsInteger(ordinal))
        {
            var value = Convert.ToString(r.GetValue(ordinal), CultureInfo.InvariantCulture) ?? "";
            throw new FormatException($"{column}: '{(value.Length > 64 ? value[..64] + "…" : value)}' is not an integer.");
        }

        return r.GetInt64(ordinal);
    }

    public static string? NullableText<TRow>(TRow r, int ordinal)
        where TRow : IStoredRow => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    private static string? NullableName<TRow>(TRow r, int ordinal)
        where TRow : IStoredRow => r.IsDBNull(ordinal) ? null : r.GetName(ordinal);

    private static DateTimeOffset? NullableTime<TRow>(TRow r, int ordinal)
        where TRow : IStoredRow => r.IsDBNull(ordinal) ? null : Time(r.GetInt64(ordinal));

    public static string? NullableText(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    public static DateTimeOffset? NullableTime(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : Time(r.GetInt64(ordinal));

    /// <summary>A command on <paramref name="connection"/> with one empty parameter per name, for a session to prepare once and reuse.</summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    /// <summary>A <see cref="SqliteDataReader"/>'s current row, read as <see cref="IStoredRow"/>.</summary>
    private readonly struct ReaderRow(SqliteDataReader reader) : IStoredRow
    {
        public bool IsDBNull(int ordinal) => reader.IsDBNull(ordinal);

        public bool IsInteger(int ordinal) => reader.GetFieldType(ordinal) == typeof(long);

        public long GetInt64(int ordinal) => reader.GetInt64(ordinal);

        public int GetInt32(int ordinal) => reader.GetInt32(ordinal);

        public string GetString(int ordinal) => reader.GetString(ordinal);

        public string GetName(int ordinal) => reader.GetString(ordinal);

        public Guid GetId(int ordinal) => ReadId(reader, ordinal);

        public object GetValue(int ordinal) => reader.GetValue(ordinal);
    }
}
