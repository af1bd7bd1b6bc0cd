using System.Buffers;
using System.Globalization;
using System.Text;

namespace JobTracking.Dashboard.Queries;

/// <summary>
/// A job's log as CSV (RFC 4180: CRLF line ends, fields quoted when they hold a comma, a quote or a line break), with
/// the rejects export's guard against CSV injection: a message that starts with a character a spreadsheet reads as
/// the start of a formula (<c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab, carriage return) gets a single quote in front,
/// and one holding a semicolon or a tab is quoted, so a spreadsheet that splits on those keeps it one cell.
/// </summary>
internal static class LogCsv
{
    public const string Header = "Time,Level,Message\r\n";

    private static readonly SearchValues<char> FormulaStarts = SearchValues.Create("=+-@\t\r");
    private static readonly SearchValues<char> NeedsQuotes = SearchValues.Create(",;\t\"\r\n");

    public static string Record(JobLogEntry line)
    {
        var record = new StringBuilder(line.Message.Length + 50);
        record.Append(line.At.ToString("O", CultureInfo.InvariantCulture)).Append(',').Append(line.Level.ToString()).Append(',');
        return AppendText(record, line.Message).Append("\r\n").ToString();
    }

    // Log lines carry whatever the job logged, often input it was given: a cell such as =HYPERLINK(...) must reach a spreadsheet as text.
    private static StringBuilder AppendText(StringBuilder record, string value)
    {
        var neutralise = value.Length > 0 && FormulaStarts.Contains(value[0]);
        if (value.AsSpan().IndexOfAny(NeedsQuotes) < 0)
        {
            return (neutralise ? record.Append('\'') : record).Append(value);
        }

        record.Append('"');
        if (neutralise)
        {
            record.Append('\'');
        }

        return record.Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
