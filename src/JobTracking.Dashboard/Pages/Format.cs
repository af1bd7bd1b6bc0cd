using System.Globalization;
using JobTracking.Dashboard.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Dashboard.Pages;

/// <summary>Times, durations and progress as the pages show them.</summary>
internal static class Format
{
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static void Time(Html html, DateTimeOffset? at)
    {
        if (at is not { } value)
        {
            html.Raw("<span class=\"jt-none\">—</span>");
            return;
        }

        html.Raw("<time").Attr("datetime", Iso(value)).Raw(">").Text(Time(value)).Raw("</time>");
    }

    public static string Duration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            duration = TimeSpan.Zero;
        }

        return duration.TotalSeconds < 60
            ? duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
            : duration.TotalHours < 1
                ? $"{(int)duration.TotalMinutes} min {duration.Seconds:00} s"
                : $"{(int)duration.TotalHours} h {duration.Minutes:00} min";
    }

    /// <summary>How long a job has run: to its end, or to now while it runs.</summary>
    public static string? Duration(JobRecord job, DateTimeOffset now) =>
        job.StartedAt is { } started ? Duration((job.EndedAt ?? (JobLifecycle.IsActive(job.Status) ? now : started)) - started) : null;

    public static string Percent(JobProgress progress) =>
        progress.Percent is { } percent ? percent.ToString("0", CultureInfo.InvariantCulture) + " %" : progress.Done.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A progress bar named for a screen reader ("Progress of Nightly import"), then the percentage or count as text.</summary>
    public static void Progress(Html html, JobProgress progress, string jobName)
    {
        html.Raw("<progress max=\"100\"").Attr("aria-label", "Progress of " + jobName);
        if (progress.Percent is { } percent)
        {
            html.Attr("value", percent.ToString("0.#", CultureInfo.InvariantCulture));
        }

        html.Raw("></progress> <span class=\"jt-percent\">").Text(Percent(progress)).Raw("</span>");
    }

    /// <summary>For a queued job that waits for its time: "scheduled for 18:00", or, after a failed attempt, "retry: attempt 2 of 4 at 18:00".</summary>
    public static void Waiting(Html html, DashboardRequest request, JobRecord job, DateTimeOffset now)
    {
        if (job.Status != JobStatus.Queued || job.RunAfter is not { } at || at <= now)
        {
            return;
        }

        html.Raw(" <span class=\"jt-when\">");
        if (job.PreviousAttempts is [.., { Status: JobStatus.Failed }])
        {
            html.Text("retry: attempt ").Text(job.Attempt);
            if (MaxAttempts(request, job.TypeName) is { } max)
            {
                html.Text(" of ").Text(max);
            }

            html.Text(" at ");
        }
        else
        {
            html.Text("scheduled for ");
        }

        Time(html, at);
        html.Raw("</span>");
    }

    /// <summary>The most attempts the job's type allows, when this host registers the type.</summary>
    public static int? MaxAttempts(DashboardRequest request, string typeName) =>
        request.Http.RequestServices.GetService<IJobTracker>()?.JobTypes.FirstOrDefault(t => string.Equals(t.TypeName, typeName, StringComparison.Ordinal))?.MaxAttempts;

    public static void Status(Html html, JobStatus status, int warnings)
    {
        html.Raw("<span").Attr("class", "jt-badge " + StatusLabels.CssClass(status, warnings)).Raw("><span class=\"jt-dot\" aria-hidden=\"true\"></span>")
            .Text(StatusLabels.Label(status, warnings)).Raw("</span>");
    }
}
