using System.Globalization;
using System.Text;

namespace JobTracking.Queries;

/// <summary>RFC 4180 records: CRLF line ends, fields quoted when they hold a comma, a quote or a line break, quotes doubled.</summary>
internal static class Csv
{
    public static string Record(JobReject reject)
    {
        var line = new StringBuilder(reject.RawRecord.Length + reject.Reason.Length + 48);
        line.Append(reject.RecordNumber.ToString(CultureInfo.InvariantCulture)).Append(',');
        AppendField(line, reject.Reason).Append(',');
        AppendField(line, reject.RawRecord).Append(',');
        line.Append(reject.At.ToString("O", CultureInfo.InvariantCulture)).Append("\r\n");
        return line.ToString();
    }

    private static StringBuilder AppendField(StringBuilder line, string value)
    {
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return line.Append(value);
        }

        return line.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
