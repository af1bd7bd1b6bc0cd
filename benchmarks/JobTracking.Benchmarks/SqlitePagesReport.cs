using System.Buffers.Binary;
using System.Globalization;
using JobTracking.Benchmarks.Systems;
using Microsoft.Data.Sqlite;

namespace JobTracking.Benchmarks;

/// <summary>
/// <c>--sqlite-pages</c>: what the SQLite store writes per job end to end: WAL frames (one per page a commit changed),
/// commits, and which table or index each frame's page belongs to, read from the WAL file itself.
/// </summary>
/// <remarks>
/// A second connection holds a read snapshot for the whole measured run, so SQLite can neither restart the WAL nor
/// overwrite its frames: every frame written in the run is still in the file afterwards, after the ones that were there
/// when the run began. The WAL is truncated first (a checkpoint from that connection), so the file holds no stale frames.
/// Pages are named by walking each b-tree after the run; a page that moved between b-trees in the run is named as it is then.
/// </remarks>
public static class SqlitePagesReport
{
    private const int WalHeader = 32;
    private const int FrameHeader = 24;

    public static async Task RunAsync(int jobs, BenchStore store, int callers, int? maxConcurrency)
    {
        await using var system = JobTrackingSystem.Create(maxConcurrency: maxConcurrency, store: store, callers: callers);
        await system.StartAsync();
        await system.RunAsync(Math.Min(jobs, 1_000)); // warms the path and gives the tables a few pages

        var path = system.DatabasePath!;
        using var pin = new SqliteConnection($"Data Source={path};Pooling=False;Default Timeout=30");
        pin.Open();
        Execute(pin, "PRAGMA wal_checkpoint(TRUNCATE)");
        await system.RunAsync(1); // one commit after the truncation, so the snapshot below reads from the WAL
        Execute(pin, "BEGIN");
        Execute(pin, "SELECT COUNT(*) FROM schema_version");
        var pageSize = Convert.ToInt32(Execute(pin, "PRAGMA page_size"), CultureInfo.InvariantCulture);
        var wal = path + "-wal";
        var frameSize = FrameHeader + pageSize;
        var first = (new FileInfo(wal).Length - WalHeader) / frameSize;
        var io0 = ProcessIo.Read();

        await system.RunAsync(jobs);

        var io1 = ProcessIo.Read();
        var bytes = File.ReadAllBytes(wal);
        var last = (bytes.Length - WalHeader) / frameSize;
        var salt1 = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(16));
        var salt2 = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(20));
        var frames = 0L;
        var commits = 0L;
        var byPage = new Dictionary<uint, long>();
        for (var i = first; i < last; i++)
        {
            var header = bytes.AsSpan((int)(WalHeader + (i * frameSize)), FrameHeader);
            if (BinaryPrimitives.ReadUInt32BigEndian(header[8..]) != salt1 || BinaryPrimitives.ReadUInt32BigEndian(header[12..]) != salt2)
            {
                break; // past the last frame written with this WAL's salt
            }

            frames++;
            var page = BinaryPrimitives.ReadUInt32BigEndian(header);
            byPage[page] = byPage.GetValueOrDefault(page) + 1;
            if (BinaryPrimitives.ReadUInt32BigEndian(header[4..]) != 0)
            {
                commits++;
            }
        }

        Execute(pin, "COMMIT");
        var names = PageNames(pin, path, pageSize);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"JobTracking end to end, {store}, {callers} caller(s), MaxConcurrency {maxConcurrency?.ToString(CultureInfo.InvariantCulture) ?? "default"}: {jobs:N0} jobs"));
        Console.WriteLine();
        Console.WriteLine("| per job | value |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| WAL frames (pages written) | {frames / (double)jobs:N2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| commits | {commits / (double)jobs:N2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| WAL frames per commit | {frames / (double)Math.Max(1, commits):N2} |"));
        if (io0 is { } a && io1 is { } b)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bytes written by the process (`wchar`) | {(b.Written - a.Written) / (double)jobs:N0} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| write calls (`syscw`) | {(b.WriteCalls - a.WriteCalls) / (double)jobs:N2} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| b-tree | WAL frames per job | share |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (name, count) in byPage
            .GroupBy(p => names.GetValueOrDefault(p.Key, "(overflow, freelist or unnamed)"))
            .Select(g => (g.Key, g.Sum(p => p.Value)))
            .OrderByDescending(g => g.Item2))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| `{name}` | {count / (double)jobs:N2} | {count / (double)frames:P1} |"));
        }
    }

    // dbstat is not compiled into this SQLite: after a checkpoint that moves every page into the file, each b-tree of
    // sqlite_schema is walked from its root page (interior pages name their children); overflow pages stay unnamed.
    private static Dictionary<uint, string> PageNames(SqliteConnection connection, string path, int pageSize)
    {
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        var roots = new List<(string Name, uint Root)> { ("sqlite_schema", 1) };
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name, rootpage FROM sqlite_schema WHERE rootpage > 0";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                roots.Add((reader.GetString(0), (uint)reader.GetInt64(1)));
            }
        }

        byte[] file;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            file = new byte[stream.Length];
            stream.ReadExactly(file);
        }

        var names = new Dictionary<uint, string>();
        foreach (var (name, root) in roots)
        {
            var pending = new Stack<uint>();
            pending.Push(root);
            while (pending.TryPop(out var page))
            {
                if (page == 0 || (long)page * pageSize > file.Length || !names.TryAdd(page, name))
                {
                    continue;
                }

                var data = file.AsSpan((int)((page - 1) * pageSize), pageSize);
                var header = page == 1 ? data[100..] : data;
                if (header[0] is 0x02 or 0x05)
                {
                    var cells = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
                    pending.Push(BinaryPrimitives.ReadUInt32BigEndian(header[8..]));
                    for (var i = 0; i < cells; i++)
                    {
                        var offset = BinaryPrimitives.ReadUInt16BigEndian(header[(12 + (2 * i))..]);
                        pending.Push(BinaryPrimitives.ReadUInt32BigEndian(data[offset..]));
                    }
                }
            }
        }

        return names;
    }

    private static object? Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>The process's write counters from <c>/proc/self/io</c> (Linux), or none.</summary>
    private readonly record struct ProcessIo(long Written, long WriteCalls)
    {
        public static ProcessIo? Read()
        {
            if (!File.Exists("/proc/self/io"))
            {
                return null;
            }

            long written = 0, calls = 0;
            foreach (var line in File.ReadAllLines("/proc/self/io"))
            {
                var parts = line.Split(':', 2, StringSplitOptions.TrimEntries);
                if (parts is ["wchar", var w])
                {
                    written = long.Parse(w, CultureInfo.InvariantCulture);
                }
                else if (parts is ["syscw", var c])
                {
                    calls = long.Parse(c, CultureInfo.InvariantCulture);
                }
            }

            return new ProcessIo(written, calls);
        }
    }
}
