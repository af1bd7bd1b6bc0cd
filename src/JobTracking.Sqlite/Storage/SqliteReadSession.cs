using System.Globalization;
using System.Text;
using JobTracking.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace JobTracking.Sqlite.Storage;

/// <summary>One reader connection with its prepared commands; rented by one caller at a time.</summary>
/// <remarks>In WAL mode readers never wait for the writer and see only committed transactions.</remarks>
internal sealed class SqliteReadSession : IDisposable
{
    private readonly SqliteStatement _get;
    private readonly SqliteCommand _log;
    private readonly SqliteCommand _rejects;
    private readonly SqliteCommand _history;
    private readonly SqliteCommand _count;
    private readonly SqliteStatement _begin;
    private readonly SqliteStatement _commit;
    private readonly SqliteStatement _feed;
    private readonly SqliteStatement _feedBounds;
    private readonly SqliteStatement _nextRunAfter;
    private readonly SqliteStatement _schedules;
    private readonly SqliteStatement _schedule;

    public SqliteReadSession(SqliteConnection connection)
    {
        Connection = connection;
        _get = new SqliteStatement(connection, $"SELECT {SqliteSchema.JobColumns} FROM jobs WHERE id = @id", "@id");
        _log = Command(
            "SELECT seq, at, level, message FROM job_log WHERE job_id = @id AND seq > @after AND level >= @level ORDER BY seq LIMIT @limit",
            "@id", "@after", "@level", "@limit");
        _rejects = Command(
            "SELECT seq, at, record_number, raw_record, reason FROM job_rejects WHERE job_id = @id AND seq > @after ORDER BY seq LIMIT @limit",
            "@id", "@after", "@limit");
        _history = Command(
            "SELECT seq, at, details FROM job_history WHERE job_id = @id AND seq > @after ORDER BY seq LIMIT @limit",
            "@id", "@after", "@limit");
        _count = Command("SELECT type_name, status, count FROM job_counts WHERE count > 0");
        _begin = new SqliteStatement(connection, "BEGIN");
        _commit = new SqliteStatement(connection, "COMMIT");
        _feed = new SqliteStatement(connection, $"SELECT seq, {SqliteSchema.FeedColumns} FROM job_feed WHERE seq > @after ORDER BY seq LIMIT @limit", "@after", "@limit");
        _feedBounds = new SqliteStatement(connection, "SELECT (SELECT MIN(seq) FROM job_feed), (SELECT MAX(seq) FROM job_feed)");
        _nextRunAfter = new SqliteStatement(
            connection,
            $"SELECT run_after FROM jobs INDEXED BY ix_jobs_waiting WHERE status = {(int)JobStatus.Queued} AND queue_seq IS NULL AND run_after IS NOT NULL AND run_after > @now ORDER BY run_after LIMIT 1",
            "@now");
        _schedules = new SqliteStatement(connection, $"SELECT {SqliteSchema.ScheduleColumns} FROM job_schedules ORDER BY id");
        _schedule = new SqliteStatement(connection, $"SELECT {SqliteSchema.ScheduleColumns} FROM job_schedules WHERE id = @id", "@id");
    }

    /// <summary>Reads the earliest run-after time later than <paramref name="now"/> among the jobs waiting for theirs, from their index.</summary>
    public DateTimeOffset? NextRunAfter(DateTimeOffset now)
    {
        _nextRunAfter.Bind(0, now);
        try
        {
            return _nextRunAfter.Step() && _nextRunAfter.IsInteger(0) ? SqliteRows.Time(_nextRunAfter.GetInt64(0), "run_after") : null;
        }
        finally
        {
            _nextRunAfter.Reset();
        }
    }

    /// <summary>Reads every schedule, ordered by id (SQLite's binary collation: the order of the ids' UTF-8 bytes).</summary>
    public List<JobScheduleRecord> Schedules()
    {
        var schedules = new List<JobScheduleRecord>();
        try
        {
            while (_schedules.Step())
            {
                schedules.Add(SqliteScheduleRows.Read(_schedules));
            }
        }
        finally
        {
            _schedules.Reset();
        }

        return schedules;
    }

    public JobScheduleRecord? Schedule(string scheduleId)
    {
        _schedule.Bind(0, scheduleId);
        try
        {
            return _schedule.Step() ? SqliteScheduleRows.Read(_schedule) : null;
        }
        finally
        {
            _schedule.Reset();
        }
    }

    /// <summary>Reads changes after a sequence number and where the feed starts and ends, in one snapshot.</summary>
    /// <remarks>Read through SQLite's API: this runs once per commit that changed a job, for every reader of the feed.</remarks>
    public JobFeedRead ReadFeed(long after, Span<JobChange> buffer)
    {
        _begin.Execute();
        try
        {
            var count = 0;
            if (!buffer.IsEmpty)
            {
                _feed.Bind(0, after);
                _feed.Bind(1, buffer.Length);
                try
                {
                    while (_feed.Step())
                    {
                        buffer[count++] = SqliteRows.ReadChange(_feed);
                    }
                }
                finally
                {
                    _feed.Reset();
                }
            }

            try
            {
                _feedBounds.Step();
                var latest = _feedBounds.IsNull(1) ? 0 : _feedBounds.GetInt64(1);
                var first = _feedBounds.IsNull(0) ? latest + 1 : _feedBounds.GetInt64(0);
                return new JobFeedRead { Count = count, FirstSequence = first, LatestSequence = latest };
            }
            finally
            {
                _feedBounds.Reset();
            }
        }
        finally
        {
            _commit.Execute();
        }
    }

    public SqliteConnection Connection { get; }

    public JobRecord? Get(Guid jobId)
    {
        _get.Bind(0, jobId);
        try
        {
            return _get.Step() ? SqliteRows.ReadJob(_get) : null;
        }
        finally
        {
            _get.Reset();
        }
    }

    public JobPage Query(JobQuery query)
    {
        (long CreatedTicks, Guid Id)? after = JobPageToken.Decode(query.PageToken) is { } cursor ? (cursor.CreatedAt.UtcTicks, cursor.Id) : null;
        var statuses = query.Statuses.Distinct().ToList();
        var limit = query.PageSize + 1;
        List<JobRecord> rows;
        if (statuses.Count <= 1 || statuses.Count >= SqliteStatuses.Count)
        {
            rows = QueryOnce(query, statuses.Count == 1 ? statuses[0] : null, after, limit);
        }
        else
        {
            // One index range per status, each already newest first, merged here: an IN list would make SQLite sort every match.
            rows = [];
            _begin.Execute();
            try
            {
                foreach (var status in statuses)
                {
                    rows.AddRange(QueryOnce(query, status, after, limit));
                }
            }
            finally
            {
                _commit.Execute();
            }

            rows.Sort(NewestFirst);
            if (rows.Count > limit)
            {
                rows.RemoveRange(limit, rows.Count - limit);
            }
        }

        var hasMore = rows.Count > query.PageSize;
        if (hasMore)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        return new JobPage { Items = rows, NextPageToken = hasMore ? JobPageToken.Encode(rows[^1]) : null };
    }

    public List<JobCount> Count()
    {
        var counts = new List<JobCount>();
        using var reader = _count.ExecuteReader();
        while (reader.Read())
        {
            // A status no job can have (a row edited by hand: a number no status has, text, a real) is counted under none;
            // reading that job says what is wrong with it.
            if (SqliteRows.ReadStatusOrNone(reader, 1) is var status && status != StoredRow.NoStatus)
            {
                counts.Add(new JobCount { TypeName = reader.GetString(0), Status = status, Count = reader.GetInt64(2) });
            }
        }

        return counts;
    }

    public JournalPage<JobLogEntry> ReadLog(Guid jobId, long after, int pageSize, LogLevel minimumLevel)
    {
        var p = _log.Parameters;
        p[0].Value = SqliteRows.Id(jobId);
        p[1].Value = after;
        p[2].Value = (int)minimumLevel;
        p[3].Value = pageSize + 1;
        var items = new List<JobLogEntry>();
        using (var reader = _log.ExecuteReader())
        {
            while (reader.Read())
            {
                items.Add(new JobLogEntry { Sequence = reader.GetInt64(0), At = SqliteRows.Time(reader.GetInt64(1)), Level = (LogLevel)reader.GetInt32(2), Message = reader.GetString(3) });
            }
        }

        return Page(items, pageSize, static e => e.Sequence);
    }

    public JournalPage<JobReject> ReadRejects(Guid jobId, long after, int pageSize)
    {
        var p = _rejects.Parameters;
        p[0].Value = SqliteRows.Id(jobId);
        p[1].Value = after;
        p[2].Value = pageSize + 1;
        var items = new List<JobReject>();
        using (var reader = _rejects.ExecuteReader())
        {
            while (reader.Read())
            {
                items.Add(new JobReject { Sequence = reader.GetInt64(0), At = SqliteRows.Time(reader.GetInt64(1)), RecordNumber = reader.GetInt64(2), RawRecord = reader.GetString(3), Reason = reader.GetString(4) });
            }
        }

        return Page(items, pageSize, static r => r.Sequence);
    }

    public JournalPage<JobHistoryRecord> ReadHistory(Guid jobId, long after, int pageSize)
    {
        var p = _history.Parameters;
        p[0].Value = SqliteRows.Id(jobId);
        p[1].Value = after;
        p[2].Value = pageSize + 1;
        var items = new List<JobHistoryRecord>();
        using (var reader = _history.ExecuteReader())
        {
            while (reader.Read())
            {
                items.Add(new JobHistoryRecord { Sequence = reader.GetInt64(0), At = SqliteRows.Time(reader.GetInt64(1)), Text = reader.GetString(2) });
            }
        }

        return Page(items, pageSize, static h => h.Sequence);
    }

    public void Dispose()
    {
        foreach (var command in new[] { _log, _rejects, _history, _count })
        {
            command.Dispose();
        }

        foreach (var statement in new[] { _get, _begin, _commit, _feed, _feedBounds, _nextRunAfter, _schedules, _schedule })
        {
            statement.Dispose();
        }

        Connection.Dispose();
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

    private static int NewestFirst(JobRecord a, JobRecord b)
    {
        var byTime = b.CreatedAt.UtcTicks.CompareTo(a.CreatedAt.UtcTicks);
        if (byTime != 0)
        {
            return byTime;
        }

        // The order of the stored blobs: big-endian bytes.
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.Id.TryWriteBytes(x, bigEndian: true, out _);
        b.Id.TryWriteBytes(y, bigEndian: true, out _);
        return y.SequenceCompareTo(x);
    }

    private List<JobRecord> QueryOnce(JobQuery query, JobStatus? status, (long CreatedTicks, Guid Id)? after, int limit)
    {
        using var command = Connection.CreateCommand();
        var sql = new StringBuilder($"SELECT {SqliteSchema.JobColumns} FROM jobs WHERE 1 = 1");
        // A user's jobs are few beside a status's or a type's, but the planner cannot tell (no statistics): with a user
        // filter, the unary + keeps the status and type terms off their indexes, so the user's index is the one read.
        var byUser = query.LaunchedBy is not null ? "+" : string.Empty;
        Filter(sql, command, status is not null, byUser + "status = @status", "@status", status is { } s ? (int)s : 0);
        Filter(sql, command, query.TypeName is not null, byUser + "type_name = CAST(@type AS TEXT)", "@type", SqliteRows.Text(query.TypeName));
        Filter(sql, command, query.LaunchedBy is not null, "launched_by = CAST(@launchedBy AS TEXT)", "@launchedBy", SqliteRows.Text(query.LaunchedBy));
        Filter(sql, command, query.Node is not null, "node = CAST(@node AS TEXT)", "@node", SqliteRows.Text(query.Node));
        Filter(sql, command, query.CreatedFrom is not null, "created_at >= @from", "@from", query.CreatedFrom?.UtcTicks);
        Filter(sql, command, query.CreatedTo is not null, "created_at < @to", "@to", query.CreatedTo?.UtcTicks);
        Filter(sql, command, query.Text is not null, "jt_contains(display_name, CAST(@text AS TEXT))", "@text", SqliteRows.Text(query.Text));
        if (after is { } cursor)
        {
            sql.Append(" AND (created_at, id) < (@afterCreated, @afterId)");
            command.Parameters.AddWithValue("@afterCreated", cursor.CreatedTicks);
            command.Parameters.AddWithValue("@afterId", SqliteRows.Id(cursor.Id));
        }

        sql.Append(" ORDER BY created_at DESC, id DESC LIMIT @limit");
        command.Parameters.AddWithValue("@limit", limit);
        command.CommandText = sql.ToString();

        var rows = new List<JobRecord>(Math.Min(limit, 64));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(SqliteRows.ReadJob(reader));
        }

        return rows;
    }

    // Only the condition's fixed text goes into the SQL; the value is bound as a parameter.
    private static void Filter(StringBuilder sql, SqliteCommand command, bool apply, string condition, string name, object? value)
    {
        if (apply)
        {
            sql.Append(" AND ").Append(condition);
            command.Parameters.AddWithValue(name, value);
        }
    }

    private SqliteCommand Command(string sql, params string[] parameters) => SqliteRows.Command(Connection, sql, parameters);
}
