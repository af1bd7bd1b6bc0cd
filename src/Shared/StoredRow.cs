using System.Globalization;
using System.Text.Json;

namespace JobTracking.Storage;

/// <summary>
/// The checks a SQL store makes on the columns of a stored job row, so that a row edited by hand into a state no code
/// writes is refused with an error naming the column. Compiled into each SQL store.
/// </summary>
internal static class StoredRow
{
    /// <summary>
    /// What a read that must go on past a row edited by hand takes for a status column that holds no status: a change
    /// of the feed carries it (refusing the change would stop the feed there for every job), and the counts leave it out.
    /// The job's own row is refused when read, saying why.
    /// </summary>
    public const JobStatus NoStatus = (JobStatus)(-1);

    private const int MaxQuotedLength = 64;

    /// <summary>Gets whether <paramref name="value"/> is the number of a job status.</summary>
    public static bool IsStatus(long value) => value is >= int.MinValue and <= int.MaxValue && Enum.IsDefined((JobStatus)(int)value);

    /// <summary>A status read from a row, refused when no status has that number.</summary>
    public static JobStatus Status(long value) =>
        IsStatus(value) ? (JobStatus)(int)value : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"status: {value} is not a job status."));

    /// <summary>A status read where a row edited by hand must not stop the read: <see cref="NoStatus"/> when no status has that number.</summary>
    public static JobStatus StatusOrNone(long value) => IsStatus(value) ? (JobStatus)(int)value : NoStatus;

    /// <summary>The error for a status column that holds no integer at all: text, a real number or bytes written there by hand.</summary>
    public static FormatException NotAStatus(object? value) => new($"status: {Describe(value)} is not a job status; a status is stored as its number.");

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

    // The value as a person reading the error would recognise it, quoted in part when it is long.
    private static string Describe(object? value) => value switch
    {
        null or DBNull => "NULL",
        string text when text.Length > MaxQuotedLength =>
            string.Create(CultureInfo.InvariantCulture, $"the text '{text.AsSpan(0, char.IsHighSurrogate(text[MaxQuotedLength - 1]) ? MaxQuotedLength - 1 : MaxQuotedLength)}…' ({text.Length} characters)"),
        string text => $"the text '{text}'",
        double number => string.Create(CultureInfo.InvariantCulture, $"the real number {number:R}"),
        byte[] bytes => string.Create(CultureInfo.InvariantCulture, $"a blob of length {bytes.Length}"),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? value.GetType().Name,
    };
}
