using JobTracking.Dashboard.Commands;
using JobTracking.Dashboard.Pages;
using Microsoft.Extensions.Logging;

namespace JobTracking.Dashboard.Api;

/// <summary>An error answer of the JSON API.</summary>
internal sealed record ErrorView(string Error);

/// <summary>A job as the list shows it.</summary>
internal sealed record JobSummaryView(
    Guid Id, string TypeName, string DisplayName, JobStatus Status, string StatusLabel, string? LaunchedBy, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, ProgressView Progress, int WarningCount, int Attempt)
{
    public static JobSummaryView From(JobRecord job) => new(
        job.Id, job.TypeName, job.DisplayName, job.Status, StatusLabels.Label(job.Status, job.WarningCount), job.LaunchedBy, job.CreatedAt,
        job.StartedAt, job.EndedAt, ProgressView.From(job.Progress), job.WarningCount, job.Attempt);
}

/// <summary>Progress: done of total, and the percentage when the total is known.</summary>
internal sealed record ProgressView(long Done, long? Total, double? Percent)
{
    public static ProgressView From(JobProgress progress) => new(progress.Done, progress.Total, progress.Percent);
}

/// <summary>One page of jobs.</summary>
internal sealed record JobListView(IReadOnlyList<JobSummaryView> Items, string? NextPageToken);

/// <summary>Everything the General tab shows; parameters, checkpoint and stack traces only for users who may act.</summary>
internal sealed record JobDetailView(
    JobSummaryView Job, string? Node, IReadOnlyList<JobStep> Steps, ErrorDetailView? Error, IReadOnlyList<AttemptView> Attempts,
    IReadOnlyList<string> Commands, string? Parameters, string? Checkpoint)
{
    public static JobDetailView From(JobRecord job, bool canAct, bool showsErrors) => new(
        JobSummaryView.From(job),
        job.Node,
        job.Steps,
        job.Error is { } e ? ErrorDetailView.From(e, canAct, showsErrors) : null,
        [.. job.Attempts.Select(a => new AttemptView(a.Number, a.StartedAt, a.EndedAt, a.Status,
            StatusLabels.Label(a.Status, a.Number == job.Attempt ? job.WarningCount : 0), a.Error is { } ae ? ErrorDetailView.From(ae, canAct, showsErrors) : null))],
        canAct ? [.. JobCommands.All.Where(c => JobCommands.Allows(job.Status, c)).Select(JobCommands.Name)] : [],
        canAct ? job.Parameters : null,
        canAct ? job.Checkpoint : null);
}

/// <summary>An error; its stack trace only for users who may act.</summary>
internal sealed record ErrorDetailView(string? Type, string? Message, string? StackTrace)
{
    /// <summary>The error as this user may see it: its type and message only when <paramref name="showsErrors"/>, its stack trace only when <paramref name="canAct"/>.</summary>
    public static ErrorDetailView From(JobError error, bool canAct, bool showsErrors) =>
        new(showsErrors ? error.Type : null, showsErrors ? error.Message : null, canAct ? error.StackTrace : null);
}

/// <summary>One attempt and how it ended.</summary>
internal sealed record AttemptView(int Number, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, JobStatus Status, string StatusLabel, ErrorDetailView? Error);

/// <summary>A page of log lines.</summary>
internal sealed record LogPageView(IReadOnlyList<LogLineView> Items, string? NextPageToken);

/// <summary>One log line.</summary>
internal sealed record LogLineView(long Sequence, DateTimeOffset At, LogLevel Level, string Message);

/// <summary>One entry of a job's history: errors (the reason of a failed attempt or a retry) only for users who may see errors, instance ids only for users who may act.</summary>
internal sealed record HistoryEntryView(
    DateTimeOffset At, JobHistoryKind Kind, JobStatus? FromStatus, JobStatus? ToStatus, string? Actor, string? Reason, string? Instance, string? Node, int Attempt)
{
    public static HistoryEntryView From(JobHistoryEntry entry, bool canAct, bool showsErrors) => new(
        entry.At,
        entry.Kind,
        entry.FromStatus,
        entry.ToStatus,
        entry.Actor,
        entry.Kind is JobHistoryKind.Ended or JobHistoryKind.Retry && !showsErrors ? null : entry.Reason,
        canAct ? entry.Instance : null,
        entry.Node,
        entry.Attempt);
}

/// <summary>A page of rejects.</summary>
internal sealed record RejectPageView(IReadOnlyList<RejectView> Items, string? NextPageToken);

/// <summary>One rejected record.</summary>
internal sealed record RejectView(long Sequence, DateTimeOffset At, long RecordNumber, string RawRecord, string Reason);

/// <summary>Jobs per status (all types), and per type and status.</summary>
internal sealed record CountsView(IReadOnlyList<StatusCountView> Statuses, IReadOnlyList<JobCount> ByType);

/// <summary>How many jobs are in one status.</summary>
internal sealed record StatusCountView(JobStatus Status, string Label, long Count);

/// <summary>The answer to a command on one job.</summary>
internal sealed record CommandResultView(Guid Id, string Command, JobStatus Status, string StatusLabel);

/// <summary>The body of a bulk command: a command, and either ids or a filter (the tracker's parameters).</summary>
internal sealed record BulkRequestView(string? Command, IReadOnlyList<Guid>? Ids, BulkFilterView? Filter);

/// <summary>The filter of a bulk command, with the tracker's parameter names.</summary>
internal sealed record BulkFilterView(IReadOnlyList<string>? Status, string? Type, string? User, string? From, string? To, string? Q, string? Node = null);

/// <summary>What a bulk command did.</summary>
internal sealed record BulkResultView(string Command, int Requested, int Changed, IReadOnlyList<BulkRefusalView> NotChanged, bool Truncated, string Summary)
{
    public static BulkResultView From(BulkResult result) => new(
        JobCommands.Name(result.Command), result.Requested, result.Changed,
        [.. result.Refused.Select(r => new BulkRefusalView(r.JobId, r.DisplayName, r.Status, r.StatusLabel, r.Reason!))],
        result.Truncated, result.Summary());
}

/// <summary>A job a bulk command did not change.</summary>
internal sealed record BulkRefusalView(Guid Id, string? DisplayName, JobStatus? Status, string? StatusLabel, string Reason);

/// <summary>The antiforgery token a JSON client sends with commands, in the header named.</summary>
internal sealed record AntiforgeryView(string HeaderName, string Token);

/// <summary>
/// A live event as the page's script and other SSE readers receive it. <c>Version</c> is the job's version after the
/// change (the one a tracker row carries in <c>data-version</c>), so a reader keeps the newer of an event and a row it
/// fetched; <c>Created</c> says the job was just created.
/// </summary>
internal sealed record LiveEventView(
    string Kind, Guid Id, string TypeName, string DisplayName, string? LaunchedBy, JobStatus Status, JobStatus PreviousStatus, string StatusLabel,
    string StatusClass, ProgressView Progress, int WarningCount, int Attempt, DateTimeOffset At, bool Started, bool Finished, string? Error,
    long Version, bool Created)
{
    public static LiveEventView From(JobEvent e, bool showsErrors) => new(
        e.Kind == JobEventKind.Progress ? "progress" : "status", e.JobId, e.TypeName, e.DisplayName, e.LaunchedBy, e.Status, e.PreviousStatus,
        StatusLabels.Label(e.Status, e.WarningCount), StatusLabels.CssClass(e.Status, e.WarningCount), ProgressView.From(e.Progress),
        e.WarningCount, e.Attempt, e.At, e.IsStarted, e.IsFinished, showsErrors ? e.Error?.Message : null, e.Version, e.Kind == JobEventKind.Created);
}

/// <summary>The instances sharing the store; <c>keepsInstances</c> is false (and the list empty) when the store keeps no list.</summary>
internal sealed record InstanceListView(bool KeepsInstances, IReadOnlyList<InstanceView> Instances);

/// <summary>One instance: who it is, when it started and was last heard of (by the store's clock), its workers and running jobs; its id only for users who may act, as in the history.</summary>
internal sealed record InstanceView(
    string? InstanceId, string Node, string Version, DateTimeOffset StartedAt, DateTimeOffset LastHeartbeatAt, double SilentForSeconds, bool IsAnswering,
    int MaxConcurrency, int RunningJobs, bool IsCurrent)
{
    public static InstanceView From(JobInstanceInfo i, bool canAct) => new(
        canAct ? i.InstanceId : null, i.Node, i.Version, i.StartedAt, i.LastHeartbeatAt, i.SilentFor.TotalSeconds, i.IsAnswering, i.MaxConcurrency, i.RunningJobs, i.IsCurrent);
}
