namespace JobTracking.Running;

/// <summary>Whether a failed run is tried again, and when: a job type's <see cref="JobTypeOptions"/> applied to one failure.</summary>
internal static class RetryPolicy
{
    /// <summary>Gets when the next attempt may run, or <see langword="null"/> when the failure ends the job.</summary>
    /// <param name="options">The job type's policy.</param>
    /// <param name="attempt">The number of the attempt that failed.</param>
    /// <param name="error">What the run threw.</param>
    /// <param name="now">The time of the failure.</param>
    /// <returns>The time before which the next attempt is not claimed, or <see langword="null"/> for no retry.</returns>
    public static DateTimeOffset? NextAttemptAt(JobTypeOptions options, int attempt, Exception error, DateTimeOffset now)
    {
        if (attempt >= options.MaxAttempts || error is JobParametersException || !Retries(options, error))
        {
            return null;
        }

        return now + Backoff(options, attempt, Random.Shared.NextDouble());
    }

    /// <summary>The backoff after attempt <paramref name="attempt"/> failed: <see cref="JobTypeOptions.RetryDelay"/> doubled per attempt, capped, varied by up to ± the jitter.</summary>
    /// <param name="options">The job type's policy.</param>
    /// <param name="attempt">The number of the attempt that failed, from 1.</param>
    /// <param name="random">A number in [0, 1) that picks the variation.</param>
    /// <returns>The delay, between 0 and <see cref="JobTypeOptions.MaxRetryDelay"/>.</returns>
    public static TimeSpan Backoff(JobTypeOptions options, int attempt, double random)
    {
        var doubled = options.RetryDelay.Ticks * Math.Pow(2, Math.Min(attempt - 1, 62));
        var capped = Math.Min(doubled, options.MaxRetryDelay.Ticks);
        var varied = capped * (1 + (options.RetryJitter * ((2 * random) - 1)));
        return TimeSpan.FromTicks((long)Math.Clamp(varied, 0, options.MaxRetryDelay.Ticks));
    }

    private static bool Retries(JobTypeOptions options, Exception error)
    {
        if (options.RetryOn.Count > 0 && !options.RetryOn.Any(type => type.IsInstanceOfType(error)))
        {
            return false;
        }

        if (options.ShouldRetry is not { } test)
        {
            return true;
        }

        try
        {
            return test(error);
        }
#pragma warning disable CA1031 // A test that throws retries nothing: the job ends Failed with its own error, as without a policy.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }
}
