using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace JobTracking.Ownership;

/// <summary>This host as an owner of jobs: a unique id (machine, process id, random part) and the display name people see.</summary>
internal sealed class JobInstance
{
    public JobInstance(IOptions<JobTrackingOptions> options)
    {
        Node = options.Value.NodeName;
        Id = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}:{Environment.ProcessId}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");
    }

    /// <summary>Gets the id no other host shares, even on the same machine or in the same process.</summary>
    public string Id { get; }

    /// <summary>Gets the node name shown with the jobs this instance runs.</summary>
    public string Node { get; }
}
