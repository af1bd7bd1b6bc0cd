using System.Globalization;
using System.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;

namespace JobTracking.Dashboard.Pages;

/// <summary>
/// The dashboard's words in the request's language (<see cref="CultureInfo.CurrentUICulture"/>, as the host's
/// <c>UseRequestLocalization</c> sets it), through <see cref="IStringLocalizer{T}"/>; numbers in the request's
/// <see cref="CultureInfo.CurrentCulture"/>. <see cref="Invariant"/> gives the English texts with invariant numbers, for
/// what machines read: the JSON API, the logs and exception messages.
/// </summary>
internal sealed class DashboardText
{
    public const string BaseName = "JobTracking.Dashboard.Resources.DashboardResources";

    private static readonly ResourceManager Resources = new(BaseName, typeof(DashboardText).Assembly);
    private readonly IStringLocalizer? _localizer;
    private string? _language;

    private DashboardText(IStringLocalizer? localizer, CultureInfo culture)
    {
        _localizer = localizer;
        Culture = culture;
    }

    /// <summary>Gets the English texts, numbers in the invariant culture ("1,234").</summary>
    public static DashboardText Invariant { get; } = new(null, CultureInfo.InvariantCulture);

    /// <summary>Gets the culture numbers are written in.</summary>
    public CultureInfo Culture { get; }

    /// <summary>Gets the language the texts are in (<c>en</c> or <c>fr</c>): a culture the dashboard has no texts for reads English.</summary>
    public string Language => _language ??= this["Language"];

    /// <summary>
    /// Gets the page's <c>lang</c>: the request's UI culture (<c>fr-CA</c>, say) when the texts are in its language, else
    /// the texts' language, so that the browser formats dates for the reader and reads the words in the right voice.
    /// </summary>
    public string Lang
    {
        get
        {
            var ui = _localizer is null ? CultureInfo.InvariantCulture : CultureInfo.CurrentUICulture;
            return ui.Name.Length > 0 && string.Equals(ui.TwoLetterISOLanguageName, Language, StringComparison.OrdinalIgnoreCase) ? ui.Name : Language;
        }
    }

    public string this[string key] => _localizer is null ? Resources.GetString(key, CultureInfo.InvariantCulture) ?? key : _localizer[key].Value;

    public static DashboardText For(HttpContext http) =>
        new(http.RequestServices.GetRequiredService<IStringLocalizer<DashboardResources>>(), CultureInfo.CurrentCulture);

    /// <summary>The text of <paramref name="key"/> with its placeholders filled, numbers in <see cref="Culture"/>; a <see cref="LocalText"/> argument is written in the same language.</summary>
    public string Format(string key, params object?[] args) => string.Format(Culture, this[key], Resolve(args));

    /// <summary>
    /// The singular or plural text (<c>key.One</c>, <c>key.Other</c>) for <paramref name="count"/>, written as <c>{0}</c>
    /// with the culture's thousands separator; <paramref name="args"/> are <c>{1}</c>, <c>{2}</c>...: "1 job", "2 jobs";
    /// in French "0 tâche", "1 tâche", "2 tâches".
    /// </summary>
    public string Plural(string key, long count, params object?[] args) =>
        string.Format(Culture, this[key + (IsOne(count) ? ".One" : ".Other")], [Number(count), .. Resolve(args)]);

    public string Number(long number) => number.ToString("N0", Culture);

    /// <summary>Whether <paramref name="count"/> takes the singular: 1 in English, 0 and 1 in French (CLDR's rules).</summary>
    public bool IsOne(long count) => string.Equals(Language, "fr", StringComparison.Ordinal) ? count is 0 or 1 : count == 1;

    private object?[] Resolve(object?[] args)
    {
        var resolved = new object?[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            resolved[i] = args[i] is LocalText text ? text.In(this) : args[i];
        }

        return resolved;
    }
}

/// <summary>A text to write in the reader's language: a page's reader gets theirs, the JSON API and the logs English.</summary>
internal sealed class LocalText(string key, params object?[] args)
{
    public string Key { get; } = key;

    public string In(DashboardText text) => text.Format(Key, args);

    /// <summary>The English text.</summary>
    public override string ToString() => In(DashboardText.Invariant);
}
