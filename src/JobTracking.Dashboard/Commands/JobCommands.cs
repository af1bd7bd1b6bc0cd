using System.Diagnostics.CodeAnalysis;

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

    public static string Button(DashboardCommand command) => command switch
    {
        DashboardCommand.Resume => "Start (resume)",
        _ => command.ToString(),
    };

    public static string Question(DashboardCommand command, string displayName) => command switch
    {
        DashboardCommand.Pause => $"Pause '{displayName}'? It stops at its next safe point and can be started again.",
        DashboardCommand.Resume => $"Start '{displayName}' again? It continues from its checkpoint.",
        DashboardCommand.Cancel => $"Cancel '{displayName}'? A cancelled job cannot be started again.",
        _ => $"Restart '{displayName}'? It runs again as a new attempt, from its last checkpoint.",
    };

    public static string Done(DashboardCommand command) => command switch
    {
        DashboardCommand.Pause => "Pause requested.",
        DashboardCommand.Resume => "Started again.",
        DashboardCommand.Cancel => "Cancellation requested.",
        _ => "Restarted as a new attempt.",
    };

    public static ValueTask RunAsync(IJobRunner runner, Guid jobId, DashboardCommand command, JobCommandOptions? options, CancellationToken cancellationToken) => command switch
    {
        DashboardCommand.Pause => runner.PauseAsync(jobId, options, cancellationToken),
        DashboardCommand.Resume => runner.ResumeAsync(jobId, options, cancellationToken),
        DashboardCommand.Cancel => runner.CancelAsync(jobId, options, cancellationToken),
        _ => runner.RestartAsync(jobId, options, cancellationToken),
    };
}
