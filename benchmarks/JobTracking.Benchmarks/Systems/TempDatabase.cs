using JobTracking.Sqlite;

namespace JobTracking.Benchmarks.Systems;

/// <summary>Where a benchmark keeps JobTracking's jobs: in memory, or in a SQLite file with one of its two synchronous modes.</summary>
public enum BenchStore
{
    /// <summary>The in-memory store (the default).</summary>
    InMemory,

    /// <summary>A SQLite file, <c>Synchronous = Full</c> (the store's default): every write flushed to disk before its call returns, concurrent writes sharing one flush.</summary>
    SqliteFull,

    /// <summary>A SQLite file, <c>Synchronous = Normal</c>: writes handed to the operating system, no flush per commit.</summary>
    SqliteNormal,
}

/// <summary>A SQLite file in the temp folder for one benchmark iteration; disposing deletes it with its -wal, -shm and .lock files.</summary>
public sealed class TempDatabase : IDisposable
{
    /// <summary>The folder the benchmarks keep their SQLite files in.</summary>
    public static readonly string Folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "jobtracking-bench");

    public TempDatabase(string? name = null)
    {
        Directory.CreateDirectory(Folder);
        Path = System.IO.Path.Combine(Folder, (name ?? "e2e-" + Guid.NewGuid().ToString("N")) + ".db");
        Delete(Path);
    }

    /// <summary>Gets the file's full path.</summary>
    public string Path { get; }

    /// <summary>Gets the connection string naming the file.</summary>
    public string ConnectionString => "Data Source=" + Path;

    /// <summary>The store's options for <paramref name="store"/>.</summary>
    public static SqliteJobStoreOptions Options(BenchStore store) => new()
    {
        Synchronous = store == BenchStore.SqliteNormal ? SqliteSynchronousMode.Normal : SqliteSynchronousMode.Full,
    };

    /// <summary>Deletes a database file and the files SQLite and the store keep beside it.</summary>
    public static void Delete(string path)
    {
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal", ".lock" })
        {
            File.Delete(path + suffix);
        }
    }

    public void Dispose() => Delete(Path);
}
