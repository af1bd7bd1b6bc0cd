using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobTracking.Sqlite.Tests;

/// <summary>Files the store cannot use: each is refused when the store opens, with a message naming the file and what is wrong.</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteBadFileTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly List<string> _immutable = [];

    [Fact]
    public void Open_FileThatIsNotADatabase_SaysSo()
    {
        File.WriteAllText(_database.Path_, string.Concat(Enumerable.Repeat("id,name\n1,not a database\n", 200)));

        var open = () => SqliteJobStores.Open(_database.ConnectionString);

        open.Should().Throw<JobTrackingException>()
            .WithMessage($"*'{_database.Path_}' is not a SQLite database*")
            .WithInnerException<SqliteException>();
        File.ReadAllText(_database.Path_).Should().StartWith("id,name", "the file is left as it was");
    }

    [Fact]
    public async Task Open_FileWrittenByANewerSchema_NamesFileAndBothVersions()
    {
        await using (var store = (IAsyncDisposable)SqliteJobStores.Open(_database.ConnectionString))
        {
        }

        Execute(_database.ConnectionString, "UPDATE schema_version SET version = 99");

        var open = () => SqliteJobStores.Open(_database.ConnectionString);

        open.Should().Throw<JobTrackingException>()
            .WithMessage($"*'{_database.Path_}'*schema version 99*up to {Storage.SqliteSchema.CurrentVersion}*Upgrade the JobTracking.Sqlite package*");
    }

    [Fact]
    public async Task Open_SameFileTwiceInOneProcess_SaysItIsInUse()
    {
        await using var first = (IAsyncDisposable)SqliteJobStores.Open(_database.ConnectionString);

        var second = () => SqliteJobStores.Open($"Data Source={Path.Combine(_database.Folder, ".", "jobs.db")}");

        second.Should().Throw<JobTrackingException>()
            .WithMessage($"*'{_database.Path_}' is in use by another process*a file of its own*");
    }

    [Fact]
    public async Task Open_AfterTheFirstStoreIsDisposed_Succeeds()
    {
        var first = (IAsyncDisposable)SqliteJobStores.Open(_database.ConnectionString);
        await first.DisposeAsync();

        await using var second = (IAsyncDisposable)SqliteJobStores.Open(_database.ConnectionString);

        second.Should().NotBeNull();
    }

    [Fact]
    public void Open_FileLockedByAnotherWriter_SaysItIsLocked()
    {
        // Another program (a sqlite3 shell, a backup) holds the write lock and keeps it.
        using (var store = (IDisposable)SqliteJobStores.Open(_database.ConnectionString))
        {
        }

        using var other = new SqliteConnection($"Data Source={_database.Path_};Pooling=False");
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }

        var open = () => SqliteJobStores.Open(_database.ConnectionString, new SqliteJobStoreOptions { BusyTimeout = TimeSpan.FromSeconds(1) });

        open.Should().Throw<JobTrackingException>()
            .WithMessage($"*'{_database.Path_}' is locked by another program*");
    }

    [Fact]
    public void Open_ReadOnlyFile_SaysItIsReadOnly()
    {
        using (var store = (IDisposable)SqliteJobStores.Open(_database.ConnectionString))
        {
        }

        MakeReadOnly(_database.Path_);

        var open = () => SqliteJobStores.Open(_database.ConnectionString);

        open.Should().Throw<JobTrackingException>().WithMessage($"*'{_database.Path_}' is read-only*");
    }

    [Fact]
    public void Open_InReadOnlyFolder_SaysTheFolderIsReadOnly()
    {
        var folder = Path.Combine(_database.Folder, "locked");
        Directory.CreateDirectory(folder);
        MakeReadOnly(folder);
        var path = Path.Combine(folder, "jobs.db");

        var open = () => SqliteJobStores.Open($"Data Source={path}");

        open.Should().Throw<JobTrackingException>().WithMessage($"*'{path}' cannot be used*read-only or access is denied*");
    }

    [Fact]
    public void Open_InMemoryOrReadOnlyConnectionString_IsRefused()
    {
        FluentActions.Invoking(() => SqliteJobStores.Open("Data Source=:memory:")).Should().Throw<ArgumentException>().WithMessage("*needs a file*");
        FluentActions.Invoking(() => SqliteJobStores.Open($"Data Source={_database.Path_};Mode=ReadOnly")).Should().Throw<ArgumentException>().WithMessage("*Mode=ReadOnly*");
        FluentActions.Invoking(() => SqliteJobStores.Open("Data Sorce=x.db")).Should().Throw<ArgumentException>().WithMessage("*malformed*");
        FluentActions.Invoking(() => SqliteJobStores.Open(_database.ConnectionString, new SqliteJobStoreOptions { BusyTimeout = TimeSpan.FromHours(1) }))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*BusyTimeout*");
    }

    [Fact]
    public async Task HostStart_WithAFileThatIsNotADatabase_FailsAtStartUp()
    {
        File.WriteAllBytes(_database.Path_, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7))]);
        using var host = new HostBuilder()
            .ConfigureServices(s => s.AddJobTracking(b => b.UseSqlite(_database.ConnectionString)))
            .Build();

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<JobTrackingException>()).WithMessage($"*'{_database.Path_}' is not a SQLite database*");
    }

    [Fact]
    public async Task HostStart_WhenAnotherHostHasTheFile_FailsAtStartUp()
    {
        using var first = new HostBuilder().ConfigureServices(s => s.AddJobTracking(b => b.UseSqlite(_database.ConnectionString))).Build();
        await first.StartAsync();
        using var second = new HostBuilder().ConfigureServices(s => s.AddJobTracking(b => b.UseSqlite(_database.ConnectionString))).Build();

        var start = () => second.StartAsync();

        (await start.Should().ThrowAsync<JobTrackingException>()).WithMessage("*in use by another process*");
        await first.StopAsync();
    }

    public void Dispose()
    {
        foreach (var path in _immutable)
        {
            Chattr("-i", path);
        }

        _database.Dispose();
    }

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new SqliteConnection(connectionString + ";Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    // Permission bits do not stop root, so as root the file or folder is made immutable instead, when the file system allows it.
    private void MakeReadOnly(string path)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The read-only set-up uses Unix permissions.");
        var isFolder = Directory.Exists(path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, isFolder ? UnixFileMode.UserRead | UnixFileMode.UserExecute : UnixFileMode.UserRead);
        }

        if (IsWritable(path, isFolder) && Chattr("+i", path))
        {
            _immutable.Add(path);
        }

        Requires.That(!IsWritable(path, isFolder), $"'{path}' stays writable for this user (root without chattr), so a read-only file cannot be set up here.");
    }

    private static bool IsWritable(string path, bool isFolder)
    {
        try
        {
            if (isFolder)
            {
                var probe = Path.Combine(path, ".probe");
                File.WriteAllText(probe, "");
                File.Delete(probe);
            }
            else
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            }

            return true;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    private static bool Chattr(string flag, string path)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("chattr") { ArgumentList = { flag, path }, RedirectStandardError = true, UseShellExecute = false })!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
