namespace JobTracking;

/// <summary>Who issued a command on a job and why, kept in the job's history (<see cref="IJobTracker.GetHistoryAsync"/>).</summary>
public sealed record JobCommandOptions
{
    /// <summary>Gets who issued the command (a user name, a service's name), 1 to <see cref="JobStartOptions.MaxTextLength"/> characters and not blank; <see langword="null"/> (the default) when unknown.</summary>
    public string? Actor { get; init; }

    /// <summary>Gets why the command was issued, 1 to <see cref="JobStartOptions.MaxTextLength"/> characters and not blank; <see langword="null"/> (the default) for none.</summary>
    public string? Reason { get; init; }
}
