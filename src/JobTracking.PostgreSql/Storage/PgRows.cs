using System.Globalization;
using System.Text;
using System.Text.Json;
using JobTracking.Storage;
using Npgsql;
using NpgsqlTypes;

namespace JobTracking.PostgreSql.Storage;

/// <summary>Converts between rows and the records the engine reads, and builds the parameters the statements bind.</summary>
internal static class PgRows
{
    public static NpgsqlParameter Param(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    public static NpgsqlParameter Text(string? value) => Param(PgText.Store(value), NpgsqlDbType.Text);

    public static NpgsqlParameter Uuid(Guid? value) => Param(value, NpgsqlDbType.Uuid);

    public static NpgsqlParameter Int(int value) => Param(value, NpgsqlDbType.Integer);

    public static NpgsqlParameter Long(long? value) => Param(value, NpgsqlDbType.Bigint);

    public static NpgsqlParameter Bool(bool value) => Param(value, NpgsqlDbType.Boolean);

    public static NpgsqlParameter Time(DateTimeOffset? value) => Param(value?.UtcDateTime, NpgsqlDbType.TimestampTz);

    public static NpgsqlParameter Interval(TimeSpan value) => Param(value, NpgsqlDbType.Interval);

    public static NpgsqlParameter Array<T>(T[] values, NpgsqlDbType elementType) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };

    public static DateTimeOffset ReadTime(NpgsqlDataReader r, int ordinal) => new(DateTime.SpecifyKind(r.GetFieldValue<DateTime>(ordinal), DateTimeKind.Utc));

    public static DateTimeOffset? NullableTime(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : ReadTime(r, ordinal);

    public static string? NullableText(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : PgText.Read(r.GetString(ordinal));

    public static string ReadText(NpgsqlDataReader r, int ordinal) => PgText.Read(r.GetString(ordinal));

    /// <summary>Reads a row whose first columns are <see cref="PgSchema.JobColumns"/>, starting at <paramref name="o"/>.</summary>
    /// <exception cref="JobTrackingException">The row holds what this store never writes (it was edited by hand): the message names the job and the column.</exception>
    public static JobRecord ReadJob(NpgsqlDataReader r, int o = 0)
    {
        var id = r.GetGuid(o);
        try
        {
            var errorType = NullableText(r, o + 17);
            return new JobRecord
            {
                Id = id,
                TypeName = ReadText(r, o + 1),
                DisplayName = ReadText(r, o + 2),
                Status = StoredRow.Status(r.GetInt16(o + 3)),
                Version = StoredRow.Version(r.GetInt64(o + 4)),
                Parameters = ReadText(r, o + 5),
                LaunchedBy = NullableText(r, o + 6),
                Priority = r.GetInt32(o + 7),
                ConcurrencyKey = NullableText(r, o + 8),
                CreatedAt = new DateTimeOffset(r.GetInt64(o + 9), TimeSpan.Zero),
                StartedAt = NullableTime(r, o + 10),
                EndedAt = NullableTime(r, o + 11),
                Attempt = r.GetInt32(o + 12),
                Node = NullableText(r, o + 13),
                Progress = new JobProgress(r.GetInt64(o + 14), r.IsDBNull(o + 15) ? null : r.GetInt64(o + 15)),
                Checkpoint = NullableText(r, o + 16),
                Error = errorType is null ? null : new JobError { Type = errorType, Message = NullableText(r, o + 18) ?? string.Empty, StackTrace = NullableText(r, o + 19) },
                WarningCount = r.GetInt32(o + 20),
                Steps = r.IsDBNull(o + 21) ? [] : StoredRow.Json(r.GetString(o + 21), "steps", JobReportJson.ReadSteps),
                Claim = r.IsDBNull(o + 23) ? null : new JobClaim { InstanceId = NullableText(r, o + 22) ?? string.Empty, ClaimId = r.GetGuid(o + 23), LeaseExpiresAt = NullableTime(r, o + 24) ?? DateTimeOffset.MinValue },
                CheckpointReport = r.IsDBNull(o + 25) ? null : StoredRow.Json(r.GetString(o + 25), "checkpoint_report", JobReportJson.ReadReport),
                PreviousAttempts = r.IsDBNull(o + 26) ? [] : StoredRow.Json(r.GetString(o + 26), "previous_attempts", ReadAttempts),
                RunAfter = NullableTime(r, o + 27, "run_after"),
                IdempotencyKey = IdempotencyKey(r, o + 28),
                IdempotentUntil = NullableTime(r, o + 29, "idempotent_until"),
                Timeout = r.IsDBNull(o + 30) ? null : Timeout(r.GetInt64(o + 30)),
            };
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or InvalidCastException)
        {
            throw new JobTrackingException($"The stored row of job '{id}' is malformed and cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Reads a job row for a claim or a reclaim, which must go on with the other rows when one cannot be read.</summary>
    /// <returns>The job, or <see langword="null"/> with the row in <paramref name="unreadable"/> (its id, status and version, and the error naming what is wrong).</returns>
    public static JobRecord? TryReadJob(NpgsqlDataReader r, List<UnreadableJob> unreadable)
    {
        try
        {
            return ReadJob(r);
        }
        catch (JobTrackingException ex)
        {
            unreadable.Add(new UnreadableJob(r.GetGuid(0), r.GetInt16(3), r.GetInt64(4), ex));
            return null;
        }
    }

    /// <summary>Reads a row whose columns are the sequence number, then <see cref="PgSchema.FeedColumns"/>, starting at <paramref name="o"/>.</summary>
    public static JobChange ReadChange(NpgsqlDataReader r, int o)
    {
        var errorType = NullableText(r, o + 14);
        return new JobChange
        {
            Sequence = r.GetInt64(o),
            JobId = r.GetGuid(o + 1),
            Kind = (JobEventKind)r.GetInt16(o + 2),
            TypeName = ReadText(r, o + 3),
            DisplayName = ReadText(r, o + 4),
            LaunchedBy = NullableText(r, o + 5),
            // A change is never refused, or the feed would stop at it for every job: a status edited by hand into a number
            // no status has is carried as no status, and reading the job says what is wrong with it.
            PreviousStatus = StoredRow.StatusOrNone(r.GetInt16(o + 6)),
            Status = StoredRow.StatusOrNone(r.GetInt16(o + 7)),
            Version = r.GetInt64(o + 8),
            Attempt = r.GetInt32(o + 9),
            At = ReadTime(r, o + 10),
            Progress = new JobProgress(r.GetInt64(o + 11), r.IsDBNull(o + 12) ? null : r.GetInt64(o + 12)),
            WarningCount = r.GetInt32(o + 13),
            Error = errorType is null ? null : new JobError { Type = errorType, Message = NullableText(r, o + 15) ?? string.Empty, StackTrace = NullableText(r, o + 16) },
            InstanceId = NullableText(r, o + 17),
            RunAfter = r.IsDBNull(o + 18) ? null : ReadTime(r, o + 18),
        };
    }

    /// <summary>Reads the attempts the transition's SQL appends with <c>jsonb_build_object</c>: number, started and ended (timestamps), status, and the error's stored type, message and stack.</summary>
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
                StartedAt = ParseTime(attempt.GetProperty("started").GetString()!),
                EndedAt = ParseTime(attempt.GetProperty("ended").GetString()!),
                Status = StoredRow.Status(attempt.GetProperty("status").GetInt64()),
                Error = errorType.ValueKind == JsonValueKind.Null
                    ? null
                    : new JobError
                    {
                        Type = PgText.Read(errorType.GetString()!),
                        Message = attempt.GetProperty("errorMessage").GetString() is { } message ? PgText.Read(message) : string.Empty,
                        StackTrace = attempt.GetProperty("errorStack").GetString() is { } stack ? PgText.Read(stack) : null,
                    },
            });
        }

        return attempts;
    }

    /// <summary>A time column of a job row; when it holds no time a job can have, the error names the column.</summary>
    private static DateTimeOffset? NullableTime(NpgsqlDataReader r, int ordinal, string column)
    {
        try
        {
            return NullableTime(r, ordinal);
        }
        catch (Exception ex) when (ex is InvalidCastException or ArgumentOutOfRangeException or OverflowException)
        {
            throw new FormatException($"{column}: {ex.Message}", ex);
        }
    }

    /// <summary>The idempotency key column: text as <see cref="PgText"/> stores it, never empty.</summary>
    private static string? IdempotencyKey(NpgsqlDataReader r, int ordinal)
    {
        if (r.IsDBNull(ordinal))
        {
            return null;
        }

        string key;
        try
        {
            key = ReadText(r, ordinal);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"idempotency_key: {ex.Message}", ex);
        }

        return key.Length is > 0 and <= JobStartOptions.MaxIdempotencyKeyLength
            ? key
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                $"idempotency_key: a key of {key.Length} characters is not an idempotency key; a key has 1 to {JobStartOptions.MaxIdempotencyKeyLength} characters."));
    }

    /// <summary>The timeout column: TimeSpan ticks, positive.</summary>
    private static TimeSpan Timeout(long ticks) =>
        ticks > 0
            ? TimeSpan.FromTicks(ticks)
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"timeout: {ticks} is not a timeout; a timeout is stored as a positive number of 100 ns ticks."));

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();
}
