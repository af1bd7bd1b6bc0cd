using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>The read-only connections of a store, each with its prepared commands, rented by one caller at a time.</summary>
internal sealed class SqliteReaderPool : IDisposable
{
    private const int MaxIdleReaders = 8;

    private readonly string _connectionString;
    private readonly object _owner;
    private readonly ConcurrentBag<SqliteReadSession> _idle = [];
    private int _disposed;

    /// <param name="connectionString">The readers' connection string.</param>
    /// <param name="owner">The store, named when a call comes after it is closed.</param>
    public SqliteReaderPool(string connectionString, object owner)
    {
        _connectionString = connectionString;
        _owner = owner;
    }

    /// <summary>Runs a read on a rented connection and returns the connection to the pool.</summary>
    /// <exception cref="ObjectDisposedException">The store is closed.</exception>
    public TResult Read<TState, TResult>(TState state, Func<SqliteReadSession, TState, TResult> read)
    {
        var session = Rent();
        try
        {
            return read(session, state);
        }
        finally
        {
            Return(session);
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        while (_idle.TryTake(out var reader))
        {
            reader.Dispose();
        }
    }

    private SqliteReadSession Rent()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, _owner);
        if (_idle.TryTake(out var session))
        {
            return session;
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            SqliteFile.Execute(connection, "PRAGMA query_only = ON");
            // The text's UTF-8 bytes, not a string: Microsoft.Data.Sqlite cuts a string argument at its first NUL.
            connection.CreateFunction<byte[]?, byte[]?, bool>(
                "jt_contains",
                static (text, part) => text is not null && part is not null
                    && Encoding.UTF8.GetString(text).Contains(Encoding.UTF8.GetString(part), StringComparison.OrdinalIgnoreCase),
                isDeterministic: true);
            return new SqliteReadSession(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void Return(SqliteReadSession session)
    {
        if (Volatile.Read(ref _disposed) != 0 || _idle.Count >= MaxIdleReaders)
        {
            session.Dispose();
            return;
        }

        _idle.Add(session);
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Disposed while this one was being returned: close whatever the drain missed.
            while (_idle.TryTake(out var late))
            {
                late.Dispose();
            }
        }
    }
}
