using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace JobTracking.Sqlite.Storage;

/// <summary>
/// One statement of the writer's hot path, prepared once on the writer's connection and run through SQLite's own API:
/// values are bound by index straight from the caller's fields, so running it allocates nothing (no parameter binders,
/// no data reader, no statement enumerator, no id or text arrays).
/// </summary>
/// <remarks>
/// Not thread-safe: only the writer's loop uses its statements. Text is bound as UTF-8 with its length, so a NUL inside
/// it is kept (the same bytes <see cref="SqliteRows.Text"/> binds for such a text); an error becomes the
/// <see cref="SqliteException"/> Microsoft.Data.Sqlite would throw, with the same codes.
/// </remarks>
internal sealed class SqliteStatement : IStoredRow, IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly int[] _indexes;
    private byte[] _text = [];
    private Dictionary<string, string>? _names;

    // The texts GetNameOrNull keeps: short ones (a type or node name, an instance id), at most this many at a time.
    private const int MaxNameBytes = 256;
    private const int MaxNames = 256;

    /// <summary>Prepares <paramref name="sql"/> (one statement) on the connection.</summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="sql">The statement.</param>
    /// <param name="parameters">Its parameters' names: the <c>Bind</c> methods take a position in this list.</param>
    /// <exception cref="SqliteException">The statement does not compile.</exception>
    public SqliteStatement(SqliteConnection connection, string sql, params string[] parameters)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var rc = raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out var statement);
        if (rc != raw.SQLITE_OK || statement is null)
        {
            statement?.Dispose();
            SqliteException.ThrowExceptionForRC(rc == raw.SQLITE_OK ? raw.SQLITE_MISUSE : rc, _db);
            throw new InvalidOperationException("Unreachable: the statement did not compile.");
        }

        _statement = statement;

        _indexes = new int[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            _indexes[i] = raw.sqlite3_bind_parameter_index(_statement, parameters[i]);
            if (_indexes[i] == 0)
            {
                _statement.Dispose();
                throw new ArgumentException($"The statement has no parameter '{parameters[i]}'.", nameof(parameters));
            }
        }

        if (raw.sqlite3_bind_parameter_count(_statement) != parameters.Length)
        {
            _statement.Dispose();
            throw new ArgumentException("Every parameter of the statement must be named once.", nameof(parameters));
        }
    }

    public void Bind(int parameter, long value) => Check(raw.sqlite3_bind_int64(_statement, _indexes[parameter], value));

    public void Bind(int parameter, bool value) => Bind(parameter, value ? 1L : 0L);

    public void Bind(int parameter, long? value)
    {
        if (value is { } number)
        {
            Bind(parameter, number);
        }
        else
        {
            BindNull(parameter);
        }
    }

    public void Bind(int parameter, DateTimeOffset at) => Bind(parameter, at.UtcTicks);

    public void Bind(int parameter, DateTimeOffset? at) => Bind(parameter, at?.UtcTicks);

    /// <summary>Binds an id as the 16 big-endian bytes the store keeps.</summary>
    public void Bind(int parameter, Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        Check(raw.sqlite3_bind_blob(_statement, _indexes[parameter], bytes));
    }

    public void Bind(int parameter, Guid? id)
    {
        if (id is { } value)
        {
            Bind(parameter, value);
        }
        else
        {
            BindNull(parameter);
        }
    }

    /// <summary>Binds a text as UTF-8 (NULL when null), through a buffer the statement keeps.</summary>
    public void Bind(int parameter, string? text)
    {
        if (text is null)
        {
            BindNull(parameter);
            return;
        }

        if (text.Length == 0)
        {
            // An empty span would be bound from a null pointer, which SQLite reads as NULL.
            Check(raw.sqlite3_bind_text(_statement, _indexes[parameter], string.Empty));
            return;
        }

        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_text.Length < max)
        {
            _text = new byte[Math.Max(max, Math.Min(_text.Length * 2, 1 << 20))];
        }

        var length = Encoding.UTF8.GetBytes(text, _text);
        Check(raw.sqlite3_bind_text(_statement, _indexes[parameter], _text.AsSpan(0, length)));
        if (_text.Length > 1 << 20)
        {
            _text = []; // a one-off large text is not kept alive
        }
    }

    public void BindNull(int parameter) => Check(raw.sqlite3_bind_null(_statement, _indexes[parameter]));

    /// <summary>Runs the statement to its end and resets it.</summary>
    /// <returns>The number of rows it changed (not counting rows changed by triggers).</returns>
    /// <exception cref="SqliteException">SQLite refused the statement; what it changed was rolled back (the statement, or the whole transaction on disk-full or I/O errors).</exception>
    public int Execute()
    {
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
            {
            }

            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }

            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Steps to the next row; false at the end (call <see cref="Reset"/> when done, whether or not every row was read).</summary>
    /// <exception cref="SqliteException">SQLite refused the statement.</exception>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }

        return false;
    }

    /// <summary>Ends a read started with <see cref="Step"/>, so the statement can run again and holds no read lock.</summary>
    public void Reset() => raw.sqlite3_reset(_statement);

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    /// <summary>Gets whether a column holds an integer (SQLite keeps whatever it is given, whatever the column's type).</summary>
    public bool IsInteger(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_INTEGER;

    public long GetInt64(int column) => raw.sqlite3_column_int64(_statement, column);

    /// <summary>Reads a 16-byte id column.</summary>
    public Guid GetId(int column) => new(raw.sqlite3_column_blob(_statement, column), bigEndian: true);

    /// <summary>Reads a text column (null when NULL); its bytes are read as they are stored, NULs included.</summary>
    public string? GetText(int column) =>
        IsNull(column) ? null : Encoding.UTF8.GetString(raw.sqlite3_column_blob(_statement, column));

    /// <summary>
    /// Reads a text column that repeats from row to row (null when NULL): a type name, a display name, an instance id.
    /// A text this statement read before comes back as the same string (every job's changes and claims name its type
    /// and its owner, so the feed and the claims would otherwise allocate them again for each row); the text read is
    /// the same as <see cref="GetText"/>'s.
    /// </summary>
    public string? GetNameOrNull(int column)
    {
        if (IsNull(column))
        {
            return null;
        }

        var bytes = raw.sqlite3_column_blob(_statement, column);
        if (bytes.Length > MaxNameBytes)
        {
            return Encoding.UTF8.GetString(bytes);
        }

        // At most one char per byte: the text fits. Invalid UTF-8 decodes as GetString would (replacement characters).
        Span<char> chars = stackalloc char[MaxNameBytes];
        var text = chars[..Encoding.UTF8.GetChars(bytes, chars)];
        var names = _names ??= new Dictionary<string, string>(StringComparer.Ordinal);
        if (names.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out var name))
        {
            return name;
        }

        if (names.Count >= MaxNames)
        {
            names.Clear(); // display names set per job would otherwise fill it; the few that repeat come back at once
        }

        name = new string(text);
        names.Add(name, name);
        return name;
    }

    bool IStoredRow.IsDBNull(int ordinal) => IsNull(ordinal);

    long IStoredRow.GetInt64(int ordinal) => IsNull(ordinal) ? throw OnNull(ordinal) : GetInt64(ordinal);

    int IStoredRow.GetInt32(int ordinal) => IsNull(ordinal) ? throw OnNull(ordinal) : (int)GetInt64(ordinal);

    string IStoredRow.GetString(int ordinal) => GetText(ordinal) ?? throw OnNull(ordinal);

    string IStoredRow.GetName(int ordinal) => GetNameOrNull(ordinal) ?? throw OnNull(ordinal);

    Guid IStoredRow.GetId(int ordinal) => IsNull(ordinal) ? throw OnNull(ordinal) : GetId(ordinal);

    object IStoredRow.GetValue(int ordinal) => raw.sqlite3_column_type(_statement, ordinal) switch
    {
        raw.SQLITE_INTEGER => GetInt64(ordinal),
        raw.SQLITE_FLOAT => raw.sqlite3_column_double(_statement, ordinal),
        raw.SQLITE_TEXT => GetText(ordinal)!,
        raw.SQLITE_BLOB => raw.sqlite3_column_blob(_statement, ordinal).ToArray(),
        _ => DBNull.Value,
    };

    public void Dispose() => _statement.Dispose();

    private static InvalidOperationException OnNull(int ordinal) => new($"The data is NULL at ordinal {ordinal}. This method can't be called on NULL values.");

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }
}
