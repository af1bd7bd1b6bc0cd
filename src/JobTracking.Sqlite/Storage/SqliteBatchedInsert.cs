using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Storage;

/// <summary>
/// Rows of one table inserted through multi-row <c>INSERT ... VALUES (...), (...)</c> statements of a few sizes, each
/// prepared once: rows are kept until a full statement's worth has come, and <see cref="Flush"/> sends the rest.
/// One statement for several rows saves a step, a reset and an enumeration of the command per row.
/// </summary>
/// <remarks>
/// The statements stay small: Microsoft.Data.Sqlite binds every parameter by name and SQLite finds a name by a linear
/// search, so binding a statement costs the square of its parameter count; 64-row statements measured no faster
/// than one row at a time, 8-row ones faster.
/// </remarks>
internal sealed class SqliteBatchedInsert : IDisposable
{
    /// <summary>The rows per statement, largest first; the last is 1 so any remainder can be sent.</summary>
    private static readonly int[] Sizes = [8, 1];

    private readonly SqliteCommand[] _commands;
    private readonly int _columns;
    private readonly object[] _pending;
    private int _rows;

    /// <param name="connection">The writer's connection.</param>
    /// <param name="table">The table's name (a constant of the schema).</param>
    /// <param name="columns">The columns, in the order <see cref="Add"/> takes their values.</param>
    /// <param name="textColumns">Which of them are bound with <see cref="SqliteRows.Text"/> and read back as TEXT.</param>
    public SqliteBatchedInsert(SqliteConnection connection, string table, string[] columns, params int[] textColumns)
    {
        _columns = columns.Length;
        _pending = new object[Sizes[0] * _columns];
        _commands = new SqliteCommand[Sizes.Length];
        for (var s = 0; s < Sizes.Length; s++)
        {
            var sql = new StringBuilder().Append("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", columns).Append(") VALUES ");
            var names = new string[Sizes[s] * _columns];
            for (var row = 0; row < Sizes[s]; row++)
            {
                sql.Append(row == 0 ? "(" : ", (");
                for (var column = 0; column < _columns; column++)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"@p{row}_{column}");
                    names[(row * _columns) + column] = name;
                    sql.Append(column == 0 ? "" : ", ").Append(Array.IndexOf(textColumns, column) >= 0 ? SqliteRows.AsText(name) : name);
                }

                sql.Append(')');
            }

            _commands[s] = SqliteRows.Command(connection, sql.ToString(), names);
        }
    }

    /// <summary>Adds a row (one value per column, in order); a full statement's worth is inserted at once.</summary>
    public void Add(params ReadOnlySpan<object> values)
    {
        values.CopyTo(_pending.AsSpan(_rows * _columns, _columns));
        if (++_rows == Sizes[0])
        {
            Insert(0, 0);
            _rows = 0;
        }
    }

    /// <summary>Inserts the rows added since the last full statement.</summary>
    public void Flush()
    {
        var from = 0;
        for (var s = 1; s < Sizes.Length; s++)
        {
            while (_rows - from >= Sizes[s])
            {
                Insert(s, from);
                from += Sizes[s];
            }
        }

        Array.Clear(_pending);
        _rows = 0;
    }

    /// <summary>Drops the rows not yet inserted (a failed write).</summary>
    public void Reset()
    {
        Array.Clear(_pending);
        _rows = 0;
    }

    public void Dispose()
    {
        foreach (var command in _commands)
        {
            command.Dispose();
        }
    }

    private void Insert(int size, int fromRow)
    {
        var command = _commands[size];
        var parameters = command.Parameters;
        var offset = fromRow * _columns;
        for (var i = 0; i < parameters.Count; i++)
        {
            parameters[i].Value = _pending[offset + i];
        }

        command.ExecuteNonQuery();
    }
}
