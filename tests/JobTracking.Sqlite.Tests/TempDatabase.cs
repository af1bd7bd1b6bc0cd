namespace JobTracking.Sqlite.Tests;

/// <summary>A folder of its own for one test's database files, deleted at the end.</summary>
public sealed class TempDatabase : IDisposable
{
    public TempDatabase(string name = "jobs.db")
    {
        Folder = Path.Combine(Path.GetTempPath(), "jobtracking-sqlite-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Path_ = System.IO.Path.Combine(Folder, name);
    }

    public string Folder { get; }

    public string Path_ { get; }

    public string ConnectionString => $"Data Source={Path_}";

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
