using System.Buffers;
using System.Globalization;
using System.Text;

namespace JobTracking.Queries;

/// <summary>
/// RFC 4180 records: CRLF line ends, fields quoted when they hold a comma, a quote or a line break, quotes doubled.
/// A text field that starts with a character a spreadsheet reads as the start of a formula (<c>=</c>, <c>+</c>,
/// <c>-</c>, <c>@</c>, tab, carriage return) gets a single quote in front, as OWASP advises against CSV injection; a
/// field holding a semicolon or a tab is quoted too, so a spreadsheet that splits on those (Excel with French or German
/// settings, a paste split on tabs) keeps it one cell instead of starting a new one, which could be a formula.
/// </summary>
internal static class Csv
{
    private static readonly SearchValues<char> FormulaStarts = SearchValues.Create("=+-@\t\r");
    private static readonly SearchValues<char> NeedsQuotes = SearchValues.Create(",;\t\"\r\n");

    public static string Record(JobReject reject)
    {
        var line = new StringBuilder(reject.RawRecord.Length + reject.Reason.Length + 50);
        line.Append(reject.RecordNumber.ToString(CultureInfo.InvariantCulture)).Append(',');
        AppendText(line, reject.Reason).Append(',');
        AppendText(line, reject.RawRecord).Append(',');
        line.Append(reject.At.ToString("O", CultureInfo.InvariantCulture)).Append("\r\n");
        return line.ToString();
    }

    // Rejected records are untrusted input: a cell such as =HYPERLINK(...) must reach a spreadsheet as text.
    private static StringBuilder AppendText(StringBuilder line, string value)
    {
        var neutralise = value.Length > 0 && FormulaStarts.Contains(value[0]);
        if (value.AsSpan().IndexOfAny(NeedsQuotes) < 0)
        {
            return (neutralise ? line.Append('\'') : line).Append(value);
        }

        line.Append('"');
        if (neutralise)
        {
            line.Append('\'');
        }

        return line.Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
