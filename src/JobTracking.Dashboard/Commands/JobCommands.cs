using System.Diagnostics.CodeAnalysis;
using JobTracking.Dashboard.Pages;

namespace JobTracking.Dashboard.Commands;

/// <summary>Which commands a job's status allows, their words, and running them through <see cref="IJobRunner"/>.</summary>
internal static class JobCommands
{
    public static readonly DashboardCommand[] All = [DashboardCommand.Pause, DashboardCommand.Resume, DashboardCommand.Cancel, DashboardCommand.Restart];

    /// <summary>Whether the job's status allows the command (the runner has the last word: a job may move in between).</summary>
    public static bool Allows(JobStatus status, DashboardCommand command) => command switch
    {
        DashboardCommand.Pause => status is JobStatus.Running or JobStatus.Queued,
        DashboardCommand.Resume => status is JobStatus.Paused or JobStatus.Pausing,
        DashboardCommand.Cancel => status is JobStatus.Editing or JobStatus.Queued or JobStatus.Running or JobStatus.Pausing
            or JobStatus.Paused or JobStatus.Interrupted,
        DashboardCommand.Restart => status is JobStatus.Failed or JobStatus.Interrupted,
        _ => false,
    };

    public static bool TryParse(string? text, [NotNullWhen(true)] out DashboardCommand? command)
    {
        command = text?.ToLowerInvariant() switch
        {
            "pause" => DashboardCommand.Pause,
            "resume" or "start" => DashboardCommand.Resume,
            "cancel" => DashboardCommand.Cancel,
            "restart" => DashboardCommand.Restart,
            _ => null,
        };
        return command is not null;
    }

    public static string Name(DashboardCommand command) => command.ToString().ToLowerInvariant();

    public static string Button(DashboardText text, DashboardCommand command) => text["Command." + command];

    /// <summary>The confirmation asked before the command: "Pause 'Nightly import'? ..."; the name is the job's, the quotes the language's.</summary>
    public static string Question(DashboardText text, DashboardCommand command, string displayName) => text.Format("Command.Question." + command, displayName);

    public static string Done(DashboardText text, DashboardCommand command) => text["Command.Done." + command];

    public static ValueTask RunAsync(IJobRunner runner, Guid jobId, DashboardCommand command, JobCommandOptions? options, CancellationToken cancellationToken) => command switch
    {
        DashboardCommand.Pause => runner.PauseAsync(jobId, options, cancellationToken),
        DashboardCommand.Resume => runner.ResumeAsync(jobId, options, cancellationToken),
        DashboardCommand.Cancel => runner.CancelAsync(jobId, options, cancellationToken),
        _ => runner.RestartAsync(jobId, options, cancellationToken),
    };
}
