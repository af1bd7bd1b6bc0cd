using Microsoft.Extensions.Options;

namespace JobTracking.Definitions;

/// <summary>Checks a job type's retry policy and timeout against their documented ranges, naming the option in the error.</summary>
internal static class JobTypeOptionsValidator
{
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(3650);

    public static void Check(string typeName, JobTypeOptions options)
    {
        var errors = new List<string>();
        var prefix = $"JobTracking:{nameof(JobTrackingOptions.JobTypes)}:{typeName}:";
        if (options.MaxAttempts is < 1 or > 100)
        {
            errors.Add($"{prefix}{nameof(options.MaxAttempts)} is {options.MaxAttempts}; it must be between 1 and 100.");
        }

        if (options.RetryDelay < TimeSpan.Zero || options.RetryDelay > TimeSpan.FromDays(1))
        {
            errors.Add($"{prefix}{nameof(options.RetryDelay)} is {options.RetryDelay}; it must be between 0 and 1 day.");
        }

        if (options.MaxRetryDelay < options.RetryDelay || options.MaxRetryDelay > TimeSpan.FromDays(30))
        {
            errors.Add($"{prefix}{nameof(options.MaxRetryDelay)} is {options.MaxRetryDelay}; it must be between RetryDelay ({options.RetryDelay}) and 30 days.");
        }

        if (!(options.RetryJitter is >= 0 and <= 1))
        {
            errors.Add($"{prefix}{nameof(options.RetryJitter)} is {options.RetryJitter}; it must be between 0 and 1.");
        }

        if (options.Timeout is { } timeout && (timeout <= TimeSpan.Zero || timeout > MaxTimeout))
        {
            errors.Add($"{prefix}{nameof(options.Timeout)} is {timeout}; it must be more than 0 and at most {MaxTimeout.TotalDays:N0} days.");
        }

        foreach (var type in options.RetryOn)
        {
            if (type is null || !typeof(Exception).IsAssignableFrom(type))
            {
                errors.Add($"{prefix}{nameof(options.RetryOn)} lists {type?.FullName ?? "null"}, which is not an exception type.");
            }
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(nameof(JobTrackingOptions), typeof(JobTrackingOptions), errors);
        }
    }
}
