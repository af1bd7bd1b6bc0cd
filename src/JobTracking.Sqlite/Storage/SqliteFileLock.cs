namespace JobTracking.Sqlite.Storage;

/// <summary>An exclusive lock on <c>&lt;file&gt;.lock</c>, held for the store's lifetime, so one process (and one store) uses a file at a time.</summary>
/// <remarks>
/// SQLite would let a second process share the file, but the store keeps its queue order in memory and declares that
/// one process uses it, so at start-up the engine reclaims every job left active, whatever its lease: two processes on
/// one file would interrupt each other's jobs. The operating system drops the lock when the process dies, so a crash never
/// leaves the file locked. The lock file is left in place; its presence means nothing.
/// </remarks>
internal sealed class SqliteFileLock : IDisposable
{
    private readonly FileStream _stream;

    private SqliteFileLock(FileStream stream)
    {
        _stream = stream;
    }

    /// <summary>Takes the lock or says clearly why not.</summary>
    /// <param name="databasePath">The full path of the database file.</param>
    /// <exception cref="JobTrackingException">Another store holds the file, or the lock file cannot be created.</exception>
    public static SqliteFileLock Acquire(string databasePath)
    {
        var lockPath = databasePath + ".lock";
        try
        {
            return new SqliteFileLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None));
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new JobTrackingException(
                $"The job store file '{databasePath}' cannot be used: its lock file '{lockPath}' cannot be created or opened for writing ({ex.Message}). " +
                "The folder is read-only or access is denied; the store needs write access to the file and its folder.", ex);
        }
        catch (IOException ex) when (File.Exists(lockPath))
        {
            throw new JobTrackingException(
                $"The job store file '{databasePath}' is in use by another process (or another store in this process): its lock file '{lockPath}' is held. " +
                "A SQLite job store serves one process: stop the other one, or give each process a file of its own.", ex);
        }
        catch (IOException ex)
        {
            throw new JobTrackingException($"The job store file '{databasePath}' cannot be used: its lock file '{lockPath}' cannot be created ({ex.Message}).", ex);
        }
    }

    public void Dispose() => _stream.Dispose();
}
