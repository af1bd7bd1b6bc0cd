using System.Text.Json;

namespace JobTracking.Storage;

/// <summary>
/// The checks a SQL store makes on the columns of a stored job row, so that a row edited by hand into a state no code
/// writes is refused with an error naming the column. Compiled into each SQL store.
/// </summary>
internal static class StoredRow
{
    /// <summary>A status read from a row, refused when no status has that number.</summary>
    public static JobStatus Status(int value) =>
        Enum.IsDefined((JobStatus)value) ? (JobStatus)value : throw new FormatException($"status: {value} is not a job status.");

    /// <summary>A version read from a row, refused below 1.</summary>
    public static long Version(long value) =>
        value >= 1 ? value : throw new FormatException($"version: {value} is not a version; a job's version starts at 1 and only grows.");

    /// <summary>Reads a JSON column; when it does not hold what the store writes, the error names the column.</summary>
    public static T Json<T>(string text, string column, Func<string, T> read)
    {
        try
        {
            return read(text);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"{column}: {ex.Message}", ex);
        }
    }
}
