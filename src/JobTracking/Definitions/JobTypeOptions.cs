namespace JobTracking;

/// <summary>How the engine treats the jobs of one type: automatic retries after a failure, with backoff, and a timeout. Set in code with <c>AddJob&lt;T&gt;(o =&gt; ...)</c> or in configuration under <c>JobTracking:JobTypes:{type name}</c>.</summary>
/// <remarks>
/// A failed run is retried while the job's attempt number is below <see cref="MaxAttempts"/> and <see cref="ShouldRetry"/> says yes:
/// the job goes back to Queued as a new attempt, not before its backoff has passed, with the failed attempt and its error kept in
/// <see cref="JobRecord.Attempts"/>. The backoff before attempt <c>n + 1</c> is <see cref="RetryDelay"/> × 2^(n − 1), at most
/// <see cref="MaxRetryDelay"/>, each varied at random by up to ± <see cref="RetryJitter"/> of itself so that jobs that failed together do not
/// come back together. The last failure ends the job Failed. Attempts count every attempt, restarts included.
/// </remarks>
public sealed class JobTypeOptions
{
    /// <summary>Gets or sets the most attempts a job of this type gets: 1 (the default) retries nothing; 1 to 100.</summary>
    public int MaxAttempts { get; set; } = 1;

    /// <summary>Gets or sets the backoff before the second attempt; each later one doubles it. Default 10 seconds; 0 to 1 day.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the longest backoff. Default 1 hour; at least <see cref="RetryDelay"/>, at most 30 days.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets how much each backoff varies at random, as a share of it: 0 for none, up to 1. Default 0.2 (± 20 %).</summary>
    public double RetryJitter { get; set; } = 0.2;

    /// <summary>Gets the exception types that are retried (each with its subclasses); empty (the default) retries every failure that <see cref="ShouldRetry"/> allows.</summary>
    public IList<Type> RetryOn { get; } = [];

    /// <summary>Gets or sets a test each failure must pass to be retried, after <see cref="RetryOn"/>; <see langword="null"/> (the default) for every failure.</summary>
    public Func<Exception, bool>? ShouldRetry { get; set; }

    /// <summary>Gets or sets the longest one run of a job of this type may take before its token fires and it fails with <see cref="JobTimeoutException"/>; <see langword="null"/> (the default) for no limit. A start's <see cref="JobStartOptions.Timeout"/> takes precedence.</summary>
    public TimeSpan? Timeout { get; set; }
}
