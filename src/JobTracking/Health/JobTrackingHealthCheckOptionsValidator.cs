using Microsoft.Extensions.Options;

namespace JobTracking.Health;

/// <summary>Checks the health check options against their documented ranges and names the option in the error.</summary>
internal sealed class JobTrackingHealthCheckOptionsValidator : IValidateOptions<JobTrackingHealthCheckOptions>
{
    public ValidateOptionsResult Validate(string? name, JobTrackingHealthCheckOptions options)
    {
        var errors = new List<string>();
        Range(errors, nameof(options.StoreTimeout), options.StoreTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        Range(errors, nameof(options.StuckQueueThreshold), options.StuckQueueThreshold, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string option, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{JobTrackingHealthCheckOptions.SectionName}:{option} is {value}; it must be between {min} and {max}.");
        }
    }
}
