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

    /// <summary>"12.3 s", "4 min 05 s", "2 h 07 min", with the culture's decimal separator ("12,3 s" in French).</summary>
    public static string Duration(DashboardText text, TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            duration = TimeSpan.Zero;
        }

        return duration.TotalSeconds < 60
            ? text.Format("Duration.Seconds", duration.TotalSeconds)
            : duration.TotalHours < 1
                ? text.Format("Duration.Minutes", (int)duration.TotalMinutes, duration.Seconds)
                : text.Format("Duration.Hours", (int)duration.TotalHours, duration.Minutes);
    }

    /// <summary>
    /// The tracker's cheap figure, read from the job alone: the time since its current attempt started, pauses included
    /// (the column says "Elapsed"): to its end once finished, to now while a worker holds it (the page's script keeps that
    /// figure ticking); <see langword="null"/> when it has not started, or while it is paused, queued again or
    /// interrupted, when the job alone tells nothing true. The job page shows the running time without the pauses
    /// (<see cref="RunningTime(JobRecord, IReadOnlyList{JobHistoryEntry}, DateTimeOffset)"/>), read from the history.
    /// </summary>
    public static TimeSpan? Elapsed(JobRecord job, DateTimeOffset now) => job.StartedAt is not { } started
        ? null
        : JobLifecycle.IsFinished(job.Status) ? job.EndedAt is { } ended ? ended - started : null
        : JobLifecycle.IsActive(job.Status) ? now - started
        : null;

    /// <summary>The elapsed time as text, "—" when there is none (see <see cref="Elapsed"/>).</summary>
    public static string Duration(DashboardText text, JobRecord job, DateTimeOffset now) => Elapsed(job, now) is { } elapsed ? Duration(text, elapsed) : "—";

    /// <summary>
    /// The elapsed time in an element of its own; an active job's carries its start and the server's clock
    /// (<c>data-started</c>, <c>data-now</c>) so that the script counts on from them without asking the server again.
    /// </summary>
    public static void Duration(Html html, DashboardText text, string element, JobRecord job, DateTimeOffset now) =>
        Ticking(html, element, text["Column.Elapsed"], JobLifecycle.IsActive(job.Status) ? job.StartedAt : null, Duration(text, job, now), now);

    /// <summary>
    /// How long the current attempt has run, without its pauses: from its start to its end (or to now), less the time
    /// from each pause command to the resume after it (to now while still paused), as the job's history records them.
    /// A pause taken back before the job stopped (Pause in progress, then resumed straight to running) takes nothing off.
    /// <see langword="null"/> when the attempt has not started, or while it is queued again or interrupted.
    /// </summary>
    public static TimeSpan? RunningTime(JobRecord job, IReadOnlyList<JobHistoryEntry> history, DateTimeOffset now)
    {
        if (job.StartedAt is not { } started || !(JobLifecycle.IsActive(job.Status) || JobLifecycle.IsFinished(job.Status) || job.Status == JobStatus.Paused))
        {
            return null;
        }

        var end = JobLifecycle.IsFinished(job.Status) ? job.EndedAt ?? now : now;
        var paused = TimeSpan.Zero;
        DateTimeOffset? since = null;
        foreach (var entry in history)
        {
            if (entry.Attempt != job.Attempt || entry.At < started || entry.At > end)
            {
                continue;
            }

            if (entry.Kind == JobHistoryKind.Pause && since is null)
            {
                since = entry.At;
            }
            else if (entry.Kind == JobHistoryKind.Resume && since is { } from)
            {
                paused += entry.ToStatus == JobStatus.Running ? TimeSpan.Zero : entry.At - from;
                since = null;
            }
        }

        if (since is { } still)
        {
            paused += end - still;
        }

        var running = end - started - paused;
        return running < TimeSpan.Zero ? TimeSpan.Zero : running;
    }

    /// <summary>The running time without pauses (see <see cref="RunningTime(JobRecord, IReadOnlyList{JobHistoryEntry}, DateTimeOffset)"/>); while the job runs it ticks in the page as the elapsed time does, from the start it would have had without its pauses.</summary>
    public static void RunningTime(Html html, DashboardText text, JobRecord job, IReadOnlyList<JobHistoryEntry> history, DateTimeOffset now)
    {
        var running = RunningTime(job, history, now);
        var ticksFrom = running is { } r && JobLifecycle.IsActive(job.Status) ? now - r : (DateTimeOffset?)null;
        Ticking(html, "span", text["Job.RunningTime"], ticksFrom, running is { } value ? Duration(text, value) : "—", now);
    }

    private static void Ticking(Html html, string element, string label, DateTimeOffset? from, string text, DateTimeOffset now)
    {
        html.Raw("<").Raw(element).Raw(" class=\"jt-duration\"").Attr("data-label", label);
        if (from is { } start)
        {
            html.Attr("data-started", Iso(start)).Attr("data-now", Iso(now));
        }

        html.Raw(">").Text(text).Raw("</").Raw(element).Raw(">");
    }

    public static string Percent(DashboardText text, JobProgress progress) =>
        progress.Percent is { } percent ? text.Format("Progress.Percent", percent) : text.Plural("Progress.Done", progress.Done);

    /// <summary>
    /// A progress bar named for a screen reader ("Progress of Nightly import") and the percentage, when the total is known.
    /// Without a total there is no bar (an indeterminate one moves for ever, even on a queued or finished job): the count done, if any.
    /// </summary>
    public static void Progress(Html html, DashboardText text, JobProgress progress, string jobName)
    {
        if (progress.Percent is { } percent)
        {
            html.Raw("<progress max=\"100\"").Attr("aria-label", text.Format("Progress.Of", jobName)).Attr("value", percent.ToString("0.#", CultureInfo.InvariantCulture))
                .Raw("></progress> <span class=\"jt-percent\">").Text(Percent(text, progress)).Raw("</span>");
        }
        else if (progress.Done > 0)
        {
            html.Raw("<span class=\"jt-percent\">").Text(Percent(text, progress)).Raw("</span>");
        }
        else
        {
            html.Raw("<span class=\"jt-percent jt-none\">—</span>");
        }
    }

    /// <summary>The step an unfinished job is at, for the tracker: "step 2 of 3 — validate"; nothing when no step is under way.</summary>
    public static void CurrentStep(Html html, DashboardText text, JobRecord job)
    {
        if (JobLifecycle.IsFinished(job.Status))
        {
            return;
        }

        for (var i = job.Steps.Count - 1; i >= 0; i--)
        {
            if (job.Steps[i].Status == JobStepStatus.Running)
            {
                html.Raw(" <span class=\"jt-step\">").Text(text.Format("Progress.Step", text.Number(i + 1), text.Number(job.Steps.Count), job.Steps[i].Name)).Raw("</span>");
                return;
            }
        }
    }

    /// <summary>For a queued job that waits for its time: "scheduled for 18:00", or, after a failed attempt, "retry: attempt 2 of 4 at 18:00".</summary>
    public static void Waiting(Html html, DashboardRequest request, JobRecord job, DateTimeOffset now)
    {
        if (job.Status != JobStatus.Queued || job.RunAfter is not { } at || at <= now)
        {
            return;
        }

        var text = request.T;
        html.Raw(" <span class=\"jt-when\">");
        if (job.PreviousAttempts is [.., { Status: JobStatus.Failed }])
        {
            html.Text(MaxAttempts(request, job.TypeName) is { } max
                ? text.Format("Waiting.RetryOf", text.Number(job.Attempt), text.Number(max))
                : text.Format("Waiting.Retry", text.Number(job.Attempt)));
        }
        else
        {
            html.Text(text["Waiting.Scheduled"]);
        }

        html.Raw(" ");
        Time(html, at);
        html.Raw("</span>");
    }

    /// <summary>The most attempts the job's type allows, when this host registers the type.</summary>
    public static int? MaxAttempts(DashboardRequest request, string typeName) =>
        request.Http.RequestServices.GetService<IJobTracker>()?.JobTypes.FirstOrDefault(t => string.Equals(t.TypeName, typeName, StringComparison.Ordinal))?.MaxAttempts;

    public static void Status(Html html, DashboardText text, JobStatus status, int warnings)
    {
        html.Raw("<span").Attr("class", "jt-badge " + StatusLabels.CssClass(status, warnings)).Raw("><span class=\"jt-dot\" aria-hidden=\"true\"></span>")
            .Text(StatusLabels.Label(text, status, warnings)).Raw("</span>");
    }
}
