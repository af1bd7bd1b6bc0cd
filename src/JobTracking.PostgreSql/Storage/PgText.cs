using System.Buffers;
using System.Globalization;
using System.Text;

namespace JobTracking.PostgreSql.Storage;

/// <summary>
/// Makes any .NET string storable in a PostgreSQL <c>text</c> column and back, exactly: PostgreSQL refuses the NUL
/// character and UTF-8 cannot carry a lone surrogate, and the store contract promises both round-trip.
/// </summary>
/// <remarks>
/// A string with neither, which does not start with U+0001, is stored as it is (nearly every string: one vectorized scan).
/// Any other is stored as U+0001 followed by its characters, where U+0001 is written twice, NUL as U+0001 '0', and a lone
/// surrogate as U+0001 'x' and four hex digits. Equality filters escape their value the same way, so they still match.
/// </remarks>
internal static class PgText
{
    private const char Marker = '\u0001';
    private static readonly SearchValues<char> Special = SearchValues.Create("\0" + RangeOfSurrogates());

    /// <summary>The text to store for <paramref name="value"/>.</summary>
    public static string? Store(string? value) =>
        value is null || !NeedsEscape(value) ? value : string.Concat(Marker.ToString(), EscapeBody(value));

    /// <summary>The text to search for inside stored text: <paramref name="value"/> escaped as a stored body is, without the leading marker.</summary>
    public static string SearchTerm(string value) => value.AsSpan().IndexOfAny(Special) < 0 && !value.Contains(Marker, StringComparison.Ordinal) ? value : EscapeBody(value);

    /// <summary>The string <see cref="Store"/> was given, from the stored text.</summary>
    /// <exception cref="FormatException">The stored text starts with the marker but is not a valid escape (a row written by hand).</exception>
    public static string Read(string stored)
    {
        if (stored.Length == 0 || stored[0] != Marker)
        {
            return stored;
        }

        var text = new StringBuilder(stored.Length);
        for (var i = 1; i < stored.Length; i++)
        {
            var c = stored[i];
            if (c != Marker)
            {
                text.Append(c);
                continue;
            }

            if (++i >= stored.Length)
            {
                throw Malformed();
            }

            switch (stored[i])
            {
                case Marker:
                    text.Append(Marker);
                    break;
                case '0':
                    text.Append('\0');
                    break;
                case 'x' when i + 4 < stored.Length
                    && ushort.TryParse(stored.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    text.Append((char)code);
                    i += 4;
                    break;
                default:
                    throw Malformed();
            }
        }

        return text.ToString();
    }

    private static bool NeedsEscape(string value) =>
        (value.Length > 0 && value[0] == Marker) || (value.AsSpan().IndexOfAny(Special) >= 0 && HasNulOrLoneSurrogate(value));

    private static bool HasNulOrLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
            {
                return true;
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }

    private static string EscapeBody(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == Marker)
            {
                text.Append(Marker).Append(Marker);
            }
            else if (c == '\0')
            {
                text.Append(Marker).Append('0');
            }
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                text.Append(c).Append(value[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                text.Append(Marker).Append('x').Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    private static FormatException Malformed() =>
        new("A stored text starts with the escape marker U+0001 but is not a valid escape; the row was not written by JobTracking.PostgreSql.");

    private static string RangeOfSurrogates()
    {
        var chars = new char[0xE000 - 0xD800];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)(0xD800 + i);
        }

        return new string(chars);
    }
}
