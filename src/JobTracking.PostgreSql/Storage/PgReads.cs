using System.Globalization;
using System.Text;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace JobTracking.PostgreSql.Storage;

/// <summary>The store's reads: each one statement on a pooled connection, so each reads one snapshot and never waits for the writer.</summary>
internal sealed class PgReads(NpgsqlDataSource dataSource, PgStatements sql)
{
    public async Task<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql.Get);
        command.Parameters.Add(PgRows.Uuid(jobId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? PgRows.ReadJob(reader) : null;
    }

    /// <summary>Reads the earliest run-after time among the queued jobs waiting for a time later than <paramref name="now"/> (the database's when <see langword="null"/>).</summary>
    public async Task<DateTimeOffset?> GetNextRunAfterAsync(DateTimeOffset? now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql.NextRunAfter);
        command.Parameters.Add(PgRows.Time(now));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? PgRows.NullableTime(reader, 0) : null;
    }

    /// <summary>Reads whether a reclaim would find a job: an active one whose lease has lapsed, or (with <paramref name="resume"/>) an interrupted one.</summary>
    public async Task<bool> AnythingToReclaimAsync(DateTimeOffset? now, bool resume, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql.ReclaimNeeded);
        command.Parameters.Add(PgRows.Time(now));
        command.Parameters.Add(PgRows.Bool(resume));
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Reads the numbered changes after <paramref name="after"/>, and whether committed changes wait for their numbers.</summary>
    public async Task<(JobFeedRead Read, bool Pending)> ReadFeedAsync(long after, Memory<JobChange> buffer, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql.ReadFeed);
        command.Parameters.Add(PgRows.Long(after));
        command.Parameters.Add(PgRows.Int(buffer.Length));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        long first = 0, latest = 0;
        var pending = false;
        var count = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            latest = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
            first = reader.IsDBNull(0) ? latest + 1 : reader.GetInt64(0);
            pending = reader.GetBoolean(2);
            if (!reader.IsDBNull(3) && count < buffer.Length)
            {
                buffer.Span[count++] = PgRows.ReadChange(reader, 3);
            }
        }

        return (new JobFeedRead { Count = count, FirstSequence = first, LatestSequence = latest }, pending);
    }

    public async Task<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, long after, int pageSize, LogLevel minimumLevel, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql.ReadLog);
        command.Parameters.Add(PgRows.Uuid(jobId));
        command.Parameters.Add(PgRows.Long(after));
        command.Parameters.Add(PgRows.Param((short)minimumLevel, NpgsqlDbType.Smallint));
        command.Parameters.Add(PgRows.Int(pageSize + 1));
        var items = new List<JobLogEntry>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(new JobLogEntry { Sequence = reader.GetInt64(0), At = PgRows.ReadTime(reader, 1), Level = (LogLevel)reader.GetInt16(2), Message = PgRows.ReadText(reader, 3) });
            }
        }

        return Page(items, pageSize, static e => e.Sequence);
    }

    public async Task<JournalPage<JobHistoryRecord>> ReadHistoryAsync(Guid jobId, long after, int pageSize, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql.ReadHistory);
        command.Parameters.Add(PgRows.Uuid(jobId));
        command.Parameters.Add(PgRows.Long(after));
        command.Parameters.Add(PgRows.Int(pageSize + 1));
        var items = new List<JobHistoryRecord>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(new JobHistoryRecord { Sequence = reader.GetInt64(0), At = PgRows.ReadTime(reader, 1), Text = PgRows.ReadText(reader, 2) });
            }
        }

        return Page(items, pageSize, static h => h.Sequence);
    }

    public async Task<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, long after, int pageSize, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql.ReadRejects);
        command.Parameters.Add(PgRows.Uuid(jobId));
        command.Parameters.Add(PgRows.Long(after));
        command.Parameters.Add(PgRows.Int(pageSize + 1));
        var items = new List<JobReject>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(new JobReject
                {
                    Sequence = reader.GetInt64(0),
                    At = PgRows.ReadTime(reader, 1),
                    RecordNumber = reader.GetInt64(2),
                    RawRecord = PgRows.ReadText(reader, 3),
                    Reason = PgRows.ReadText(reader, 4),
                });
            }
        }

        return Page(items, pageSize, static r => r.Sequence);
    }

    public async Task<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql.Count);
        var counts = new List<JobCount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // A status no job can have (a row edited by hand) is counted under none; reading that job says what is wrong with it.
            var status = StoredRow.StatusOrNone(reader.GetInt16(1));
            if (status != StoredRow.NoStatus)
            {
                counts.Add(new JobCount { TypeName = PgRows.ReadText(reader, 0), Status = status, Count = reader.GetInt64(2) });
            }
        }

        return counts;
    }

    /// <summary>A page of the listing, newest first by (created_at, id), filtered in SQL with every value bound as a parameter.</summary>
    public async Task<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken)
    {
        var cursor = JobPageToken.Decode(query.PageToken);
        await using var command = dataSource.CreateCommand();
        var text = new StringBuilder($"SELECT {PgSchema.JobColumns} FROM {sql.Jobs} WHERE true");
        var statuses = query.Statuses.Distinct().Select(s => (short)s).ToArray();
        if (statuses.Length > 0)
        {
            Filter(text, command, "status = ANY({0})", PgRows.Array(statuses, NpgsqlDbType.Smallint));
        }

        if (query.TypeName is not null)
        {
            Filter(text, command, "type_name = {0}", PgRows.Text(query.TypeName));
        }

        if (query.LaunchedBy is not null)
        {
            Filter(text, command, "launched_by = {0}", PgRows.Text(query.LaunchedBy));
        }

        if (query.Node is not null)
        {
            Filter(text, command, "node = {0}", PgRows.Text(query.Node));
        }

        if (query.CreatedFrom is { } from)
        {
            Filter(text, command, "created_at >= {0}", PgRows.Long(from.UtcTicks));
        }

        if (query.CreatedTo is { } to)
        {
            Filter(text, command, "created_at < {0}", PgRows.Long(to.UtcTicks));
        }

        if (query.Text is not null)
        {
            // strpos, not LIKE: the user's text is matched as it is, % and _ included.
            Filter(text, command, "strpos(lower(display_name), lower({0})) > 0", PgRows.Param(PgText.SearchTerm(query.Text), NpgsqlDbType.Text));
        }

        if (cursor is { } after)
        {
            command.Parameters.Add(PgRows.Long(after.CreatedAt.UtcTicks));
            command.Parameters.Add(PgRows.Uuid(after.Id));
            text.Append(CultureInfo.InvariantCulture, $" AND (created_at, id) < (${command.Parameters.Count - 1}, ${command.Parameters.Count})");
        }

        command.Parameters.Add(PgRows.Int(query.PageSize + 1));
        text.Append(CultureInfo.InvariantCulture, $" ORDER BY created_at DESC, id DESC LIMIT ${command.Parameters.Count}");
        command.CommandText = text.ToString();

        var rows = new List<JobRecord>(Math.Min(query.PageSize + 1, 64));
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(PgRows.ReadJob(reader));
            }
        }

        var hasMore = rows.Count > query.PageSize;
        if (hasMore)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        return new JobPage { Items = rows, NextPageToken = hasMore ? JobPageToken.Encode(rows[^1]) : null };
    }

    // Only the condition's fixed text and the parameter's number go into the SQL; the value is bound.
    private static void Filter(StringBuilder text, NpgsqlCommand command, string condition, NpgsqlParameter value)
    {
        command.Parameters.Add(value);
        text.Append(" AND ").Append(string.Format(CultureInfo.InvariantCulture, condition, "$" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture)));
    }

    private static JournalPage<T> Page<T>(List<T> items, int pageSize, Func<T, long> sequence)
    {
        if (items.Count <= pageSize)
        {
            return new JournalPage<T> { Items = items, NextPageToken = null };
        }

        items.RemoveAt(items.Count - 1);
        return new JournalPage<T> { Items = items, NextPageToken = sequence(items[^1]).ToString(CultureInfo.InvariantCulture) };
    }
}
