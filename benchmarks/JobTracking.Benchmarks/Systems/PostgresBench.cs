using System.Globalization;
using Npgsql;

namespace JobTracking.Benchmarks.Systems;

/// <summary>A PostgreSQL system under the benchmark: its connections carry <see cref="ApplicationName"/>, so the server's statistics can be told apart.</summary>
public interface IPostgresSystem : IJobSystem
{
    /// <summary>Gets the <c>application_name</c> every connection of the system carries.</summary>
    string ApplicationName { get; }
}

/// <summary>
/// The PostgreSQL server the benchmarks run against: the connection string in <see cref="Variable"/> (what
/// <c>eval "$(bash .ci/postgres.sh start)"</c> exports), a fresh schema per system, dropped after it.
/// </summary>
public static class PostgresBench
{
    /// <summary>The environment variable holding the Npgsql connection string, as for the PostgreSQL tests.</summary>
    public const string Variable = "JOBTRACKING_POSTGRES";

    /// <summary>The workers every system of the comparison runs no-op jobs with (JobTracking's MaxConcurrency per host, Hangfire's WorkerCount, Quartz's thread pool): the same for all, so none waits on a smaller pool.</summary>
    public const int Workers = 32;

    /// <summary>Gets the connection string, or <see langword="null"/> when <see cref="Variable"/> is not set.</summary>
    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>The BenchmarkDotNet classes that need the server; <c>--smoke</c> leaves them out when there is none.</summary>
    public static readonly Type[] BenchmarkTypes = [typeof(PostgreSqlPeersBenchmarks), typeof(PostgreSqlBulkStartBenchmarks)];

    /// <summary>Gets whether a server is configured.</summary>
    public static bool Available => ConnectionString is not null;

    /// <summary>Why the PostgreSQL benchmarks cannot run, for messages.</summary>
    public const string MissingMessage =
        "JOBTRACKING_POSTGRES is not set: the PostgreSQL benchmarks need a server. Start the throwaway one with " +
        "eval \"$(bash .ci/postgres.sh start)\" (stop it with bash .ci/postgres.sh stop).";

    /// <summary>Gets the connection string, or throws naming the variable.</summary>
    public static string Require() => ConnectionString ?? throw new InvalidOperationException(MissingMessage);

    /// <summary>A new schema name: <paramref name="prefix"/> and a random part, lower case, within PostgreSQL's 63 characters.</summary>
    public static string NewSchema(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..20];

    /// <summary>The connection string with an <c>application_name</c> of its own (and nothing else changed).</summary>
    public static string WithApplicationName(string connectionString, string applicationName) =>
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName }.ConnectionString;

    /// <summary>Drops a schema and everything in it, on a connection outside any pool.</summary>
    public static async Task DropSchemaAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(Unpooled(connectionString, "jobtracking-bench-admin"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The server's version and settings that matter for durability, for the report's first line.</summary>
    public static async Task<string> DescribeServerAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(Unpooled(connectionString, "jobtracking-bench-admin"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), " +
            "current_setting('wal_sync_method'), current_setting('shared_buffers'), inet_server_addr()::text, inet_server_port()",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return string.Create(CultureInfo.InvariantCulture,
            $"PostgreSQL {reader.GetString(0)} on {reader.GetString(5)}:{reader.GetInt32(6)}; fsync = {reader.GetString(1)}, synchronous_commit = {reader.GetString(2)}, wal_sync_method = {reader.GetString(3)}, shared_buffers = {reader.GetString(4)}");
    }

    internal static string Unpooled(string connectionString, string applicationName) =>
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName, Pooling = false }.ConnectionString;
}

/// <summary>
/// Counts of the server over a window: <see cref="Commits"/>, transactions committed in the database
/// (<c>pg_stat_database.xact_commit</c>, read-only ones included); <see cref="WalSyncs"/>, flushes of the write-ahead log
/// to disk in the whole cluster (<c>pg_stat_wal.wal_sync</c>, by backends and the WAL writer); <see cref="Xids"/>,
/// transaction ids assigned in the cluster, that is transactions that wrote something; <see cref="WalBytes"/>, bytes of
/// write-ahead log written in the cluster (<c>pg_current_wal_lsn()</c>).
/// </summary>
public readonly record struct PgCounters(long Commits, long WalSyncs, long Xids, long WalBytes)
{
    public static PgCounters operator -(PgCounters a, PgCounters b) => new(a.Commits - b.Commits, a.WalSyncs - b.WalSyncs, a.Xids - b.Xids, a.WalBytes - b.WalBytes);
}

/// <summary>One statement's share of a measured window, from <c>pg_stat_statements</c>.</summary>
public sealed record PgStatement(long Calls, double TotalMilliseconds, long Rows, string Query);

/// <summary>What <c>pg_stat_statements</c> counted in a window: every statement's calls, and the statements themselves.</summary>
public sealed record PgStatementWindow(long Calls, double TotalMilliseconds, IReadOnlyList<PgStatement> Statements);

/// <summary>
/// The server's own counts of what a system did: statements from <c>pg_stat_statements</c> (counted as each statement
/// ends, so a window is exact: reset, run, read), and commits from <c>pg_stat_database.xact_commit</c>.
/// </summary>
/// <remarks>
/// <para>The commit counter (and the WAL counters beside it, <see cref="PgCounters"/>) is not exact over a short window: a
/// backend adds its counts to the shared counters at most once a second while busy and up to 10 s later when it goes
/// idle (PostgreSQL 15's statistics flushing), and always when it exits. So they are counted over a window that starts
/// before the system opens its first connection and ends once every backend of the system (its
/// <c>application_name</c>) has exited, after the system is disposed and its pools closed: every count of the system is
/// then in the counters. That window includes the system's start-up and shutdown; the report subtracts those, measured
/// by the same window around a system that runs no job.</para>
/// <para>The readings' own connections are outside any pool and carry <see cref="ApplicationName"/>; each of their
/// statements is one commit, added when the connection's backend exits, and the counting subtracts them. The server's own background work in the
/// same database (autovacuum) is not told apart: a few commits of noise per window.</para>
/// </remarks>
public static class PgServerStats
{
    /// <summary>The <c>application_name</c> of the readings' connections.</summary>
    public const string ApplicationName = "jobtracking-bench-stats";

    // Inside the statements (not before them), so pg_stat_statements keeps it in the text it stores and the readings
    // can leave themselves out.
    private const string Marker = "/* jobtracking-bench-stats */";

    private static int s_warmed;

    // Statements (each one transaction, one commit) the readings have run so far.
    private static long s_ownCommits;

    /// <summary>Starts a commit window: waits until no earlier reading's backend is left, then reads the counter.</summary>
    public static async Task<CommitWindow> BeginCommitsAsync(string connectionString)
    {
        await WarmAsync(connectionString);
        while (true)
        {
            var (commits, others, own) = await ReadCommitsAsync(connectionString, applicationName: null);
            if (others == 0)
            {
                // The readings before this one have exited and added their commits already; this one's comes later.
                return new CommitWindow(connectionString, commits, own);
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Empties <c>pg_stat_statements</c>.</summary>
    public static async Task ResetStatementsAsync(string connectionString)
    {
        await using var connection = await OpenAsync(connectionString);
        Interlocked.Increment(ref s_ownCommits);
        await using var command = new NpgsqlCommand($"SELECT {Marker} pg_stat_statements_reset()", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Reads what <c>pg_stat_statements</c> counted in this database since the last reset, the readings left out: the totals and every statement, most calls first.</summary>
    public static async Task<PgStatementWindow> ReadStatementsAsync(string connectionString)
    {
        await using var connection = await OpenAsync(connectionString);
        const string Where = $"dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%jobtracking-bench-stats%'";
        long calls;
        double milliseconds;
        Interlocked.Add(ref s_ownCommits, 2);
        await using (var command = new NpgsqlCommand($"SELECT {Marker} coalesce(sum(calls), 0)::bigint, coalesce(sum(total_exec_time), 0)::float8 FROM pg_stat_statements WHERE {Where}", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            calls = reader.GetInt64(0);
            milliseconds = reader.GetDouble(1);
        }

        var statements = new List<PgStatement>();
        await using (var command = new NpgsqlCommand(
            $"SELECT {Marker} calls, total_exec_time, rows, regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements WHERE {Where} ORDER BY calls DESC, total_exec_time DESC",
            connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                statements.Add(new PgStatement(reader.GetInt64(0), reader.GetDouble(1), reader.GetInt64(2), reader.GetString(3)));
            }
        }

        return new PgStatementWindow(calls, milliseconds, statements);
    }

    private static async Task WarmAsync(string connectionString)
    {
        // The first connection of a connection string loads the server's types, in transactions of its own; that
        // happens here, outside every window, and the backend's exit is waited for by the window's first reading.
        if (Interlocked.Exchange(ref s_warmed, 1) == 0)
        {
            await ReadCommitsAsync(connectionString, applicationName: null);
        }
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(PostgresBench.Unpooled(connectionString, ApplicationName));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The server's counters (see <see cref="PgCounters"/>), and how many backends of <paramref name="applicationName"/> or of other readings are still there.</summary>
    private static async Task<(PgCounters Counters, long Others, long Own)> ReadCommitsAsync(string connectionString, string? applicationName)
    {
        await using var connection = await OpenAsync(connectionString);
        var own = Interlocked.Increment(ref s_ownCommits) - 1;
        await using var command = new NpgsqlCommand(
            $"SELECT {Marker} (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()), " +
            "(SELECT wal_sync FROM pg_stat_wal), pg_snapshot_xmax(pg_current_snapshot())::text::bigint, " +
            "(SELECT count(*) FROM pg_stat_activity WHERE (application_name = $1 AND pid <> pg_backend_pid()) OR application_name = $2), " +
            "(pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ApplicationName });
        command.Parameters.Add(new NpgsqlParameter { Value = applicationName ?? "jobtracking-bench-none" });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (new PgCounters(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(4)), reader.GetInt64(3), own);
    }

    /// <summary>
    /// Rows updated in a table and how many of those were HOT updates (<c>pg_stat_user_tables</c>), once every backend of
    /// <paramref name="applicationName"/> has exited (a backend adds its counts when it exits), or null when they did not
    /// exit within 30 s.
    /// </summary>
    public static async Task<(long Updates, long HotUpdates)?> ReadTableUpdatesAsync(string connectionString, string applicationName, string schema, string table)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var connection = await OpenAsync(connectionString);
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await using var command = new NpgsqlCommand(
                $"SELECT {Marker} (SELECT count(*) FROM pg_stat_activity WHERE application_name = $1), " +
                "(SELECT n_tup_upd FROM pg_stat_user_tables WHERE schemaname = $2 AND relname = $3), " +
                "(SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = $2 AND relname = $3)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = applicationName });
            command.Parameters.Add(new NpgsqlParameter { Value = schema });
            command.Parameters.Add(new NpgsqlParameter { Value = table });
            Interlocked.Increment(ref s_ownCommits);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            if (reader.GetInt64(0) == 0)
            {
                return reader.IsDBNull(1) ? null : (reader.GetInt64(1), reader.GetInt64(2));
            }

            await reader.DisposeAsync();
            await Task.Delay(20);
        }

        return null;
    }

    /// <summary>A commit window begun by <see cref="BeginCommitsAsync"/>.</summary>
    public sealed class CommitWindow
    {
        private readonly string _connectionString;
        private readonly PgCounters _start;
        private readonly long _own;

        internal CommitWindow(string connectionString, PgCounters start, long own)
        {
            _connectionString = connectionString;
            _start = start;
            _own = own;
        }

        /// <summary>
        /// Ends the window once every backend of <paramref name="applicationName"/> (the system, disposed by now) and
        /// of the earlier readings has exited; returns the counts of the window, the readings' own commits left out.
        /// </summary>
        public async Task<PgCounters> EndAsync(string applicationName, TimeSpan? timeout = null)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                var (commits, others, own) = await ReadCommitsAsync(_connectionString, applicationName);
                if (others == 0)
                {
                    // Every reading since the window began (the first included, this one not) has exited and added
                    // its commits: one per statement.
                    return new PgCounters(commits.Commits - _start.Commits - (own - _own), commits.WalSyncs - _start.WalSyncs, commits.Xids - _start.Xids, commits.WalBytes - _start.WalBytes);
                }
                if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(30)))
                {
                    throw new TimeoutException($"Backends of '{applicationName}' were still connected {clock.Elapsed.TotalSeconds:N0} s after the system was disposed.");
                }

                await Task.Delay(20);
            }
        }
    }
}
