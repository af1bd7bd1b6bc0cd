using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobTracking.Sqlite.Tests;

/// <summary>A real full disk under a running host: a small tmpfs holding the database, filled to the last byte mid-run.</summary>
public sealed class SqliteFullDiskTests
{
    private readonly StepLog _steps = new();

    [Fact]
    public async Task DiskFull_MidRun_StartsFailClearly_RunningJobsWait_AndOnceSpaceIsFreedEveryAcknowledgedJobCompletesOnce()
    {
        using var disk = SmallDisk.Mount(megabytes: 16);
        var database = Path.Combine(disk.Folder, "jobs.db");
        var ids = new List<Guid>();
        using (var host = BuildHost(database))
        {
            await host.StartAsync();
            var runner = host.Services.GetRequiredService<IJobRunner>();
            var tracker = host.Services.GetRequiredService<IJobTracker>();
            for (var i = 0; i < 8; i++)
            {
                ids.Add(await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 40, MillisecondsPerStep = 10 }));
            }

            await Wait.UntilAsync(async () => (await tracker.GetAsync(ids[0])).Progress.Done >= 3, "the first job to store some progress");

            disk.Fill();
            var refused = async () => await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 1 });
            (await refused.Should().ThrowAsync<SqliteException>()).Which.SqliteErrorCode.Should().Be(SQLitePCL.raw.SQLITE_FULL, "a start the disk cannot hold fails, saying why");

            var unfinished = 0;
            foreach (var id in ids)
            {
                unfinished += (await tracker.GetAsync(id)).Status == JobStatus.Completed ? 0 : 1; // reads still work on a full disk
            }

            unfinished.Should().BePositive("the disk filled while jobs ran, and a job cannot complete until its final status is stored");
            disk.FreeFiller();
            foreach (var id in ids)
            {
                (await runner.WaitForCompletionAsync(id).WaitAsync(TimeSpan.FromMinutes(1))).Status.Should().Be(JobStatus.Completed);
            }

            await host.StopAsync();
        }

        foreach (var id in ids)
        {
            _steps.Of(id).Should().Equal(Enumerable.Range(0, 40), "each step ran once: the jobs waited for the disk rather than starting over");
        }

        // Everything acknowledged is in the file, and the file is sound.
        await using var store = SqliteJobStores.Open($"Data Source={database}");
        foreach (var id in ids)
        {
            (await store.GetAsync(id))!.Status.Should().Be(JobStatus.Completed);
        }

        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        (await check.ExecuteScalarAsync()).Should().Be("ok");
    }

    private IHost BuildHost(string database) =>
        new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton(_steps);
                services.AddJobTracking(b => b
                    .AddJob<StepJob>()
                    .UseSqlite($"Data Source={database}")
                    .Configure(o =>
                    {
                        o.MaxConcurrency = 8;
                        o.CheckpointInterval = TimeSpan.Zero;
                        o.ProgressInterval = TimeSpan.FromMilliseconds(10);
                    }));
            })
            .Build();

    /// <summary>A tmpfs of a few megabytes (mounting one needs root), with a filler file that takes its free space.</summary>
    private sealed class SmallDisk : IDisposable
    {
        private SmallDisk(string folder) => Folder = folder;

        public string Folder { get; }

        private string Filler => Path.Combine(Folder, "filler");

        public static SmallDisk Mount(int megabytes)
        {
            var folder = Path.Combine(Path.GetTempPath(), "jobtracking-full-disk-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            var (code, output) = Run("mount", $"-t tmpfs -o size={megabytes}m tmpfs {folder}");
            if (code != 0)
            {
                Directory.Delete(folder);
                Requires.That(false, $"This test mounts a {megabytes} MB tmpfs to fill it, which needs root (CAP_SYS_ADMIN): mount said \"{output.Trim()}\".");
            }

            return new SmallDisk(folder);
        }

        /// <summary>Writes a file until the disk has no byte left.</summary>
        public void Fill()
        {
            using var file = new FileStream(Filler, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0); // unbuffered: each write reaches the disk
            var block = new byte[1 << 16];
            try
            {
                while (true)
                {
                    file.Write(block);
                }
            }
            catch (IOException)
            {
                // No space left on the device: full.
            }

            try
            {
                while (true)
                {
                    file.Write(block.AsSpan(0, 512)); // the last partial block too
                }
            }
            catch (IOException)
            {
            }
        }

        public void FreeFiller() => File.Delete(Filler);

        public void Dispose()
        {
            Run("umount", $"-l {Folder}");
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private static (int Code, string Output) Run(string file, string arguments)
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
                var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                return (process.ExitCode, output);
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                return (-1, ex.Message);
            }
        }
    }
}
