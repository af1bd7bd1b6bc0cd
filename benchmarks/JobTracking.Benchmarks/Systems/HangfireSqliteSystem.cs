using Hangfire;
using Hangfire.Storage.SQLite;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// Hangfire.Core 1.8.25 with Hangfire.Storage.SQLite 0.4.3 on a SQLite file, set up as that package's README shows
/// (<c>UseSQLiteStorage(path)</c> after Hangfire's recommended global settings) with its default options but one:
/// <c>JournalMode = WAL</c> (its default), a pool of 20 connections, and SQLite's default <c>synchronous = FULL</c>
/// (the package sets no other PRAGMA), so every commit is flushed. The one change is
/// <see cref="SQLiteStorageOptions.QueuePollInterval"/>: the storage has no in-process wake-up, so an idle worker looks
/// at the queue again only after that interval (default 15 s), and a fresh system would spend up to 15 s of each
/// measured batch asleep before its first job; 100 ms keeps that wait out of the figures. 10 workers, the storage
/// passed explicitly, static no-op jobs: as <see cref="HangfireSystem"/>.
/// </summary>
public sealed class HangfireSqliteSystem : IJobSystem
{
    /// <summary>The queue poll interval the benchmark uses instead of the storage's default of 15 s.</summary>
    public static readonly TimeSpan QueuePollInterval = TimeSpan.FromMilliseconds(100);

    private readonly TempDatabase _database = new("hangfire-" + Guid.NewGuid().ToString("N"));
    private readonly SQLiteStorage _storage;
    private readonly BackgroundJobClient _client;
    private readonly int _callers;
    private BackgroundJobServer? _server;

    public HangfireSqliteSystem(int callers = 1, int workerCount = 10)
    {
        HangfireSystem.ConfigureGlobally();
        _callers = callers;
        WorkerCount = workerCount;
        _storage = new SQLiteStorage(_database.Path, new SQLiteStorageOptions { QueuePollInterval = QueuePollInterval });
        _client = new BackgroundJobClient(_storage);
    }

    public int WorkerCount { get; }

    /// <summary>Gets the path of the system's SQLite file.</summary>
    public string Path => _database.Path;

    public Task StartAsync()
    {
        _server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = WorkerCount }, _storage);
        return Task.CompletedTask;
    }

    public async Task RunAsync(int jobs)
    {
        var done = Completion.Shared.Arm(jobs);
        await Callers.RunBlocking(jobs, _callers, share =>
        {
            for (var i = 0; i < share; i++)
            {
                _client.Enqueue(() => HangfireJobs.NoOp());
            }
        });
        await done;
    }

    public ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            _server.SendStop();
            _server.Dispose();
        }

        _storage.Dispose();
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}
