using Microsoft.Extensions.Options;

namespace JobTracking.Hosting;

/// <summary>Checks every option against its documented range and names the option in the error.</summary>
internal sealed class JobTrackingOptionsValidator : IValidateOptions<JobTrackingOptions>
{
    public ValidateOptionsResult Validate(string? name, JobTrackingOptions options)
    {
        var errors = new List<string>();
        Range(errors, nameof(options.MaxConcurrency), options.MaxConcurrency, 1, 4096);
        Range(errors, nameof(options.QueueCapacity), options.QueueCapacity, 1, 100_000_000);
        Range(errors, nameof(options.ClaimBatchSize), options.ClaimBatchSize, 1, 1000);
        Range(errors, nameof(options.ClaimPrefetch), options.ClaimPrefetch, 0, 10_000);
        Range(errors, nameof(options.ShutdownGracePeriod), options.ShutdownGracePeriod, TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(errors, nameof(options.PollInterval), options.PollInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        Range(errors, nameof(options.CheckpointInterval), options.CheckpointInterval, TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(errors, nameof(options.ProgressInterval), options.ProgressInterval, TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(errors, nameof(options.JournalBufferCapacity), options.JournalBufferCapacity, 16, 1_000_000);
        Range(errors, nameof(options.MaxJournalTextLength), options.MaxJournalTextLength, 256, 1_048_576);
        Range(errors, nameof(options.RetentionInterval), options.RetentionInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Range(errors, nameof(options.SchedulePollInterval), options.SchedulePollInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(errors, nameof(options.LeaseDuration), options.LeaseDuration, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Range(errors, nameof(options.HeartbeatInterval), options.HeartbeatInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, options.LeaseDuration.Ticks / 3)));
        if (options.ForgetInstancesAfter is { } forget && (forget <= options.LeaseDuration * 3 || forget > TimeSpan.FromDays(30)))
        {
            errors.Add($"JobTracking:{nameof(options.ForgetInstancesAfter)} is {forget}; it must be more than three lease durations ({options.LeaseDuration * 3}) and at most 30 days.");
        }

        Range(errors, nameof(options.TransientRetryCount), options.TransientRetryCount, 0, 100);
        Range(errors, nameof(options.TransientRetryDelay), options.TransientRetryDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        Range(errors, nameof(options.TransientRetryMaxDelay), options.TransientRetryMaxDelay, options.TransientRetryDelay, TimeSpan.FromMinutes(10));
        if (options.MaxFinishedJobsInMemory is { } maxFinished)
        {
            Range(errors, nameof(options.MaxFinishedJobsInMemory), maxFinished, 1, 100_000_000);
        }

        if (options.RetentionPeriod is { } retention)
        {
            Range(errors, nameof(options.RetentionPeriod), retention, TimeSpan.FromMinutes(1), TimeSpan.FromDays(36_500));
        }

        if (string.IsNullOrWhiteSpace(options.NodeName) || options.NodeName.Length > 200)
        {
            errors.Add($"JobTracking:{nameof(options.NodeName)} must be 1 to 200 characters, not blank.");
        }

        if (options.SerializerOptions is null)
        {
            errors.Add($"JobTracking:{nameof(options.SerializerOptions)} must not be null.");
        }

        foreach (var (type, limit) in options.JobTypeConcurrency)
        {
            if (limit < 1 || limit > options.MaxConcurrency)
            {
                errors.Add($"JobTracking:{nameof(options.JobTypeConcurrency)}:{type} is {limit}; it must be between 1 and MaxConcurrency ({options.MaxConcurrency}).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range<T>(List<string> errors, string option, T value, T min, T max)
        where T : IComparable<T>
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            errors.Add($"JobTracking:{option} is {value}; it must be between {min} and {max}.");
        }
    }
}
