namespace JobTracking;

/// <summary>A run's report: its progress, steps with their counters, and warnings count, as stored while it runs and when it stops.</summary>
public sealed class JobReport
{
    /// <summary>Gets an empty report: no progress, no steps, no warnings.</summary>
    public static JobReport Empty { get; } = new() { Progress = default, Steps = [], WarningCount = 0 };

    /// <summary>Gets the progress.</summary>
    public required JobProgress Progress { get; init; }

    /// <summary>Gets the steps with their counters, in the order they were declared or begun.</summary>
    public required IReadOnlyList<JobStep> Steps { get; init; }

    /// <summary>Gets the warnings so far.</summary>
    public required int WarningCount { get; init; }
}
