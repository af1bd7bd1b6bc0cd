namespace JobTracking;

/// <summary>The thresholds of the JobTracking health checks added with <c>services.AddHealthChecks().AddJobTracking()</c>. Validated when the host starts.</summary>
public sealed class JobTrackingHealthCheckOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "JobTracking:HealthChecks";

    /// <summary>Gets or sets how long the store check waits for the store to answer a count of the jobs, 100 milliseconds to 5 minutes, before it reports the store unhealthy. Default: 5 seconds.</summary>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long jobs may stay queued while this node has free worker slots and claims none, 1 second to 1 day, before the scheduler check reports the queue stuck (Degraded). Default: 1 minute.</summary>
    public TimeSpan StuckQueueThreshold { get; set; } = TimeSpan.FromMinutes(1);
}
