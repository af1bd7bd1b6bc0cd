using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace JobTracking.Dashboard.Pages;

/// <summary>
/// Builds HTML: markup written by the dashboard goes in with <see cref="Raw"/>, and every value that comes from a job
/// (names, parameters, log lines, rejected records, errors) or a request goes in with <c>Text</c> or
/// <see cref="Attr"/>, which encode it.
/// </summary>
internal sealed class Html
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);
    private readonly StringBuilder _html = new(4096);

    public Html Raw(string markup)
    {
        _html.Append(markup);
        return this;
    }

    public Html Text(string? text)
    {
        if (!string.IsNullOrEmpty(text))
        {
            Encoder.Encode(new StringWriter(_html, CultureInfo.InvariantCulture), text);
        }

        return this;
    }

    /// <summary>Writes a number with the request's thousands separator ("1,234"; in French "1 234").</summary>
    public Html Text(long number) => Text(number.ToString("N0", CultureInfo.CurrentCulture));

    /// <summary>Writes <c> name="value"</c> with the value encoded; nothing when the value is <see langword="null"/>.</summary>
    public Html Attr(string name, string? value)
    {
        if (value is null)
        {
            return this;
        }

        _html.Append(' ').Append(name).Append("=\"");
        Text(value);
        _html.Append('"');
        return this;
    }

    /// <summary>Writes each text in an element of its own: <c>&lt;th&gt;Status&lt;/th&gt;&lt;th&gt;Job&lt;/th&gt;</c>.</summary>
    public Html Cells(string element, params string[] texts)
    {
        foreach (var text in texts)
        {
            Raw("<").Raw(element).Raw(">").Text(text).Raw("</").Raw(element).Raw(">");
        }

        return this;
    }

    public static string Encode(string? text) => text is null ? "" : Encoder.Encode(text);

    public override string ToString() => _html.ToString();
}
