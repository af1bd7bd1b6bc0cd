using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace JobTracking.Dashboard.Pages;

/// <summary>
/// The words dashboard.js writes itself (toasts, the live state, "N new jobs — show", live durations, status badges), as
/// JSON in the body's <c>data-texts</c> attribute: the page carries them in its own language, and the script fills in
/// the numbers (<c>Intl</c>, the page's <c>lang</c>). Placeholders are <c>{0}</c>, <c>{1}</c>; a plural is
/// <c>{"one": ..., "other": ...}</c>, chosen by <c>Intl.PluralRules</c>.
/// </summary>
internal static class ScriptTexts
{
    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    private static readonly string[] Single =
    [
        "Live.On", "Live.Connecting", "Live.Reconnecting", "Live.Reloading", "Live.Paused", "Live.Hidden", "Live.Pause", "Live.Resume",
        "Progress.Percent", "Progress.Of", "Toast.TheJob", "Toast.Close", "Toast.Started", "Toast.Finished",
        "Toast.Details", "Toast.Separator", "Announce.Started", "Announce.Finished", "NewJobs.Show",
        "Duration.Seconds", "Duration.Minutes", "Duration.Hours",
    ];

    private static readonly string[] Plurals = ["Progress.Done", "Toast.StartedMany", "Toast.FinishedMany", "Toast.Failed", "Toast.Cancelled", "NewJobs.Count"];

    public static string Json(DashboardText text) => Cache.GetOrAdd(text.Language + "|" + text.Lang, _ =>
    {
        var texts = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var key in Single)
        {
            texts[key] = text[key];
        }

        foreach (var key in Plurals)
        {
            texts[key] = new Dictionary<string, string> { ["one"] = text[key + ".One"], ["other"] = text[key + ".Other"] };
        }

        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var status in Enum.GetValues<JobStatus>())
        {
            statuses[status.ToString()] = StatusLabels.Label(text, status);
        }

        statuses["CompletedWithWarnings"] = text["Status.CompletedWithWarnings"];
        texts["Status"] = statuses;
        return JsonSerializer.Serialize(texts, Options);
    });
}
