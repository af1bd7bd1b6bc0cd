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
    /// <summary>The rows of a full statement; a batch's rest goes one row per statement.</summary>
    private const int RowsPerStatement = 8;

    private readonly SqliteCommand _full;
    private readonly SqliteCommand _one;
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
        _pending = new object[RowsPerStatement * _columns];
        _full = Command(RowsPerStatement);
        _one = Command(1);

        SqliteCommand Command(int rows)
        {
            var sql = new StringBuilder().Append("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", columns).Append(") VALUES ");
            var names = new string[rows * _columns];
            for (var row = 0; row < rows; row++)
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

            return SqliteRows.Command(connection, sql.ToString(), names);
        }
    }

    /// <summary>Adds a row (one value per column, in order); a full statement's worth is inserted at once.</summary>
    public void Add(params ReadOnlySpan<object> values)
    {
        values.CopyTo(_pending.AsSpan(_rows * _columns, _columns));
        if (++_rows == RowsPerStatement)
        {
            Insert(_full, 0);
            _rows = 0;
        }
    }

    /// <summary>Inserts the rows added since the last full statement.</summary>
    public void Flush()
    {
        for (var row = 0; row < _rows; row++)
        {
            Insert(_one, row);
        }

        Reset();
    }

    /// <summary>Drops the rows not yet inserted (after a failed write, or before a new one).</summary>
    public void Reset()
    {
        Array.Clear(_pending);
        _rows = 0;
    }

    public void Dispose()
    {
        _full.Dispose();
        _one.Dispose();
    }

    private void Insert(SqliteCommand command, int fromRow)
    {
        var parameters = command.Parameters;
        var offset = fromRow * _columns;
        for (var i = 0; i < parameters.Count; i++)
        {
            parameters[i].Value = _pending[offset + i];
        }

        command.ExecuteNonQuery();
    }
}
