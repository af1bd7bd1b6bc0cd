namespace JobTracking;

/// <summary>A registered job type as the process tracker shows it: its names, retry policy and timeout.</summary>
/// <param name="TypeName">The stable name jobs are stored under.</param>
/// <param name="DisplayName">The name shown to people.</param>
/// <param name="MaxAttempts">The most attempts a job of the type gets (<see cref="JobTypeOptions.MaxAttempts"/>): "attempt 2 of 4".</param>
/// <param name="Timeout">The longest one run may take (<see cref="JobTypeOptions.Timeout"/>), if any.</param>
public sealed record JobTypeInfo(string TypeName, string DisplayName, int MaxAttempts, TimeSpan? Timeout);
