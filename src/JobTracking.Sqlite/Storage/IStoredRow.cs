namespace JobTracking.Sqlite.Storage;

/// <summary>The current row of a query, however it is read: one reading of a job row serves both ways the store reads rows.</summary>
/// <remarks>The typed getters throw <see cref="InvalidOperationException"/> on NULL, as <see cref="Microsoft.Data.Sqlite.SqliteDataReader"/>'s do.</remarks>
internal interface IStoredRow
{
    bool IsDBNull(int ordinal);

    /// <summary>Gets whether the value itself is an integer (SQLite keeps whatever it is given, whatever the column's type).</summary>
    bool IsInteger(int ordinal);

    long GetInt64(int ordinal);

    int GetInt32(int ordinal);

    string GetString(int ordinal);

    /// <summary>Reads a text that repeats from row to row (a type name, a display name, an instance id, a node): a row reader may hand out the string it read before for the same text.</summary>
    string GetName(int ordinal);

    /// <summary>Reads a 16-byte big-endian id.</summary>
    Guid GetId(int ordinal);

    /// <summary>Reads the value as it is stored: a long, a double, a string, bytes or <see cref="DBNull"/>.</summary>
    object GetValue(int ordinal);
}
