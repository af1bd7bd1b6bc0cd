using Microsoft.Extensions.Options;

namespace JobTracking.Dashboard.Routing;

/// <summary>Checks the dashboard's options when the host starts, naming the option that is wrong.</summary>
internal sealed class DashboardOptionsValidator : IValidateOptions<JobTrackingDashboardOptions>
{
    public ValidateOptionsResult Validate(string? name, JobTrackingDashboardOptions options)
    {
        var errors = new List<string>();
        if (options.PageSize is < 1 or > JobTrackingDashboardOptions.MaxPageSize)
        {
            errors.Add($"JobTrackingDashboardOptions.PageSize is {options.PageSize}; it must be between 1 and {JobTrackingDashboardOptions.MaxPageSize}.");
        }

        if (options.MaxBulkJobs is < 1 or > 100_000)
        {
            errors.Add($"JobTrackingDashboardOptions.MaxBulkJobs is {options.MaxBulkJobs}; it must be between 1 and 100000.");
        }

        if (string.IsNullOrWhiteSpace(options.Title))
        {
            errors.Add("JobTrackingDashboardOptions.Title is empty; give the pages a title.");
        }

        if (options.ReadPolicy is { } read && string.IsNullOrWhiteSpace(read))
        {
            errors.Add("JobTrackingDashboardOptions.ReadPolicy is blank; name a policy or leave it null for local requests only.");
        }

        if (options.ActPolicy is { } act && string.IsNullOrWhiteSpace(act))
        {
            errors.Add("JobTrackingDashboardOptions.ActPolicy is blank; name a policy or leave it null to let readers act.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
