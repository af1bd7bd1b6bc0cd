using JobTracking.Storage;
using System.Buffers;
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
    public static JobRecord ReadJob(SqliteDataReader r)
    {
        var errorType = NullableText(r, 17);
        return new JobRecord
        {
            Id = ReadId(r, 0),
            TypeName = r.GetString(1),
            DisplayName = r.GetString(2),
            Status = (JobStatus)r.GetInt32(3),
            Version = r.GetInt64(4),
            Parameters = r.GetString(5),
            LaunchedBy = NullableText(r, 6),
            Priority = r.GetInt32(7),
            ConcurrencyKey = NullableText(r, 8),
            CreatedAt = Time(r.GetInt64(9)),
            StartedAt = NullableTime(r, 10),
            EndedAt = NullableTime(r, 11),
            Attempt = r.GetInt32(12),
            Node = NullableText(r, 13),
            Progress = new JobProgress(r.GetInt64(14), r.IsDBNull(15) ? null : r.GetInt64(15)),
            Checkpoint = NullableText(r, 16),
            Error = errorType is null ? null : new JobError { Type = errorType, Message = r.GetString(18), StackTrace = NullableText(r, 19) },
            WarningCount = r.GetInt32(20),
            Steps = r.IsDBNull(21) ? [] : ReadSteps(r.GetString(21)),
            Claim = r.IsDBNull(23) ? null : new JobClaim { InstanceId = NullableText(r, 22) ?? string.Empty, ClaimId = ReadId(r, 23), LeaseExpiresAt = NullableTime(r, 24) ?? DateTimeOffset.MinValue },
            CheckpointReport = r.IsDBNull(25) ? null : ReadReport(r.GetString(25)),
            PreviousAttempts = r.IsDBNull(26) ? [] : ReadAttempts(r.GetString(26)),
        };
    }

    /// <summary>Reads a row whose columns are the sequence number, then <see cref="SqliteSchema.FeedColumns"/>.</summary>
    public static JobChange ReadChange(SqliteDataReader r)
    {
        var errorType = NullableText(r, 14);
        return new JobChange
        {
            Sequence = r.GetInt64(0),
            JobId = ReadId(r, 1),
            Kind = (JobEventKind)r.GetInt32(2),
            TypeName = r.GetString(3),
            DisplayName = r.GetString(4),
            LaunchedBy = NullableText(r, 5),
            PreviousStatus = (JobStatus)r.GetInt32(6),
            Status = (JobStatus)r.GetInt32(7),
            Version = r.GetInt64(8),
            Attempt = r.GetInt32(9),
            At = Time(r.GetInt64(10)),
            Progress = new JobProgress(r.GetInt64(11), r.IsDBNull(12) ? null : r.GetInt64(12)),
            WarningCount = r.GetInt32(13),
            Error = errorType is null ? null : new JobError { Type = errorType, Message = NullableText(r, 15) ?? string.Empty, StackTrace = NullableText(r, 16) },
            InstanceId = NullableText(r, 17),
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
                Status = (JobStatus)attempt.GetProperty("status").GetInt32(),
                Error = errorType.ValueKind == JsonValueKind.Null
                    ? null
                    : new JobError { Type = errorType.GetString()!, Message = attempt.GetProperty("errorMessage").GetString() ?? string.Empty, StackTrace = attempt.GetProperty("errorStack").GetString() },
            });
        }

        return attempts;
    }

    public static string? NullableText(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    public static DateTimeOffset? NullableTime(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : Time(r.GetInt64(ordinal));

    /// <summary>Steps as a compact JSON array; <see langword="null"/> for none.</summary>
    public static string? WriteSteps(IReadOnlyList<JobStep> steps)
    {
        if (steps.Count == 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(64 * steps.Count);
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteSteps(json, steps);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static IReadOnlyList<JobStep> ReadSteps(string text)
    {
        using var document = JsonDocument.Parse(text);
        return ReadSteps(document.RootElement);
    }

    /// <summary>A report as a compact JSON object: progress, warnings count and the steps as <see cref="WriteSteps(IReadOnlyList{JobStep})"/> writes them; <see langword="null"/> for none.</summary>
    public static string? WriteReport(JobReport? report)
    {
        if (report is null)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(64 + (64 * report.Steps.Count));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("done", report.Progress.Done);
            if (report.Progress.Total is { } total)
            {
                json.WriteNumber("total", total);
            }

            json.WriteNumber("warnings", report.WarningCount);
            if (report.Steps.Count > 0)
            {
                json.WritePropertyName("steps");
                WriteSteps(json, report.Steps);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static JobReport ReadReport(string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        return new JobReport
        {
            Progress = new JobProgress(
                root.GetProperty("done").GetInt64(),
                root.TryGetProperty("total", out var total) && total.ValueKind == JsonValueKind.Number ? total.GetInt64() : null),
            WarningCount = root.GetProperty("warnings").GetInt32(),
            Steps = root.TryGetProperty("steps", out var steps) && steps.ValueKind == JsonValueKind.Array ? ReadSteps(steps) : [],
        };
    }

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

    private static void WriteSteps(Utf8JsonWriter json, IReadOnlyList<JobStep> steps)
    {
        json.WriteStartArray();
        foreach (var step in steps)
        {
            json.WriteStartObject();
            json.WriteString("name", step.Name);
            json.WriteNumber("status", (int)step.Status);
            if (step.StartedAt is { } started)
            {
                json.WriteNumber("started", started.UtcTicks);
            }

            if (step.EndedAt is { } ended)
            {
                json.WriteNumber("ended", ended.UtcTicks);
            }

            json.WriteNumber("read", step.Read);
            json.WriteNumber("written", step.Written);
            json.WriteNumber("skipped", step.Skipped);
            json.WriteNumber("warnings", step.Warnings);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static List<JobStep> ReadSteps(JsonElement array)
    {
        var steps = new List<JobStep>(array.GetArrayLength());
        foreach (var step in array.EnumerateArray())
        {
            steps.Add(new JobStep
            {
                Name = step.GetProperty("name").GetString()!,
                Status = (JobStepStatus)step.GetProperty("status").GetInt32(),
                StartedAt = step.TryGetProperty("started", out var started) ? Time(started.GetInt64()) : null,
                EndedAt = step.TryGetProperty("ended", out var ended) ? Time(ended.GetInt64()) : null,
                Read = step.GetProperty("read").GetInt64(),
                Written = step.GetProperty("written").GetInt64(),
                Skipped = step.GetProperty("skipped").GetInt64(),
                Warnings = step.GetProperty("warnings").GetInt64(),
            });
        }

        return steps;
    }
}
