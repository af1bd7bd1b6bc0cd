using System.Text.Json;
using JobTracking.Storage;

namespace JobTracking;

/// <summary>How the engine runs jobs. Bound from the <c>JobTracking</c> configuration section or set in code; validated when the host starts.</summary>
public sealed class JobTrackingOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "JobTracking";

    /// <summary>Gets or sets the most jobs this node runs at once, 1 to 4096. Default: the number of processors.</summary>
    public int MaxConcurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>Gets or sets the most jobs of one type this node runs at once, by type name, each 1 to <see cref="MaxConcurrency"/>. Default: none.</summary>
    public IDictionary<string, int> JobTypeConcurrency { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>Gets the retry policy and timeout of each job type, by type name (configuration: <c>JobTracking:JobTypes:{type}:MaxAttempts</c>); a type not listed retries nothing and has no timeout. <c>AddJob&lt;T&gt;(o =&gt; ...)</c> changes them in code, after configuration.</summary>
    public IDictionary<string, JobTypeOptions> JobTypes { get; } = new Dictionary<string, JobTypeOptions>(StringComparer.Ordinal);

    /// <summary>Gets or sets the most jobs the in-memory store holds queued at once, 1 to 100,000,000; starting one more throws <see cref="JobQueueFullException"/>. Default: 1,000,000.</summary>
    public int QueueCapacity { get; set; } = 1_000_000;

    /// <summary>Gets or sets how long running jobs get to reach a safe point when the host stops, 0 to 1 hour, before they are stored as Interrupted. Default: 10 seconds.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets whether jobs interrupted by a shutdown or a crash are queued again, at the place in the queue they had:
    /// a job reclaimed from an instance that is gone in the same step as the reclaim, and jobs stored Interrupted (by an
    /// instance that stopped) when a host starts and at every heartbeat of every live instance. When <see langword="false"/>,
    /// an interrupted job stays Interrupted until it is restarted or cancelled. Default: <see langword="true"/>.
    /// </summary>
    public bool ResumeInterruptedJobs { get; set; } = true;

    /// <summary>Gets or sets this node's name, shown with the jobs it runs, 1 to 200 characters. Default: the machine name. It is only a label: ownership belongs to each host's unique instance id, so two hosts may share a name.</summary>
    public string NodeName { get; set; } = Environment.MachineName;

    /// <summary>Gets or sets how long this instance owns a job it claimed without renewing the lease, 1 second to 1 hour; a job whose lease runs out is reclaimed (Interrupted, or Cancelled if it was cancelling) by any live instance. On a store other processes share, a run stops on its own a fifth of the lease before the end of the last lease it was granted, counted from when the claim or renewal was sent, whether or not the store answers. Default: 10 seconds.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how often this instance renews the leases of the jobs it holds and reclaims expired ones, 100 milliseconds to a third of <see cref="LeaseDuration"/>. Default: 2 seconds.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets or sets how long an instance whose heartbeats stopped stays listed (shown as not answering once its last
    /// heartbeat is more than three <see cref="LeaseDuration"/>s old) before a live instance forgets it, by the store's
    /// clock: more than three lease durations, at most 30 days; <see langword="null"/> for thirty lease durations.
    /// Default: <see langword="null"/> (5 minutes with the default lease). Applies to a store that lists instances
    /// (<see cref="Storage.IJobInstanceStore"/>).
    /// </summary>
    public TimeSpan? ForgetInstancesAfter { get; set; }

    /// <summary>Gets or sets how many times a store call that failed with a transient error is tried again before the error is reported, 0 to 100. A run's final status is retried until it is stored or the job is lost. Default: 5.</summary>
    public int TransientRetryCount { get; set; } = 5;

    /// <summary>Gets or sets the first pause before a transient store error is retried, 1 millisecond to 1 minute; each retry doubles it (with random jitter) up to <see cref="TransientRetryMaxDelay"/>. Default: 100 milliseconds.</summary>
    public TimeSpan TransientRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets the longest pause between two retries of a transient store error, from <see cref="TransientRetryDelay"/> to 10 minutes. Default: 5 seconds.</summary>
    public TimeSpan TransientRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how often an idle node looks for queued jobs in a shared store anyway, 10 ms to 1 hour. Default: 30 seconds. The store's change feed wakes the node as soon as a job is queued or a concurrency key is freed on any node, so this is only a safety net; a store that is not shared wakes the node itself and is never polled.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the most jobs claimed from the store in one call, 1 to 1000. Default: 100.</summary>
    public int ClaimBatchSize { get; set; } = 100;

    /// <summary>
    /// Gets or sets the most jobs this node claims ahead of its free workers, 0 (none) to 10,000, so that a worker whose
    /// job's code returns takes its next job at once instead of waiting for a claim. The node claims ahead only as many
    /// jobs as its workers finish during one claim's round trip (measured as it runs, twice over), so jobs of seconds or
    /// more are not claimed ahead and a node does not hold queued jobs away from the other nodes of a shared store. A job
    /// claimed ahead is owned by this node (its lease renewed) and shows as Running; if the host stops before a worker
    /// takes it, it is stored Interrupted and queued again at its place. Default: 256.
    /// </summary>
    public int ClaimPrefetch { get; set; } = 256;

    /// <summary>Gets or sets how often a running job's changed checkpoint is saved at a safe point, 0 (every safe point) to 1 hour. Default: 5 seconds. Pausing, shutdown and failure always save it.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how often a running job's progress is stored, 0 (every report) to 1 hour. Default: 250 milliseconds. The last progress is always stored when the job stops.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Gets or sets the size of the write-behind buffer for log lines and rejects, 16 to 1,000,000 entries; a job that writes into a full buffer waits. Default: 8192.</summary>
    public int JournalBufferCapacity { get; set; } = 8192;

    /// <summary>Gets or sets the longest log message, raw record or reject reason stored, 256 to 1,048,576 characters; longer text is stored truncated with a marker. Default: 8192.</summary>
    public int MaxJournalTextLength { get; set; } = 8192;

    /// <summary>Gets or sets the most finished jobs (Completed, Cancelled, Failed) the in-memory store keeps, 1 to 100,000,000; when one more finishes, the one that finished first is purged with its log and rejects. <see langword="null"/> keeps them all. Default: 10,000. Other stores ignore it (see <see cref="RetentionPeriod"/>).</summary>
    public int? MaxFinishedJobsInMemory { get; set; } = InMemoryJobStore.DefaultMaxFinishedJobs;

    /// <summary>Gets or sets how long finished jobs (Completed, Cancelled, Failed) are kept, with their journals, before a background task purges them, 1 minute to 100 years; <see langword="null"/> keeps them. Default: <see langword="null"/>. Applies to every store.</summary>
    public TimeSpan? RetentionPeriod { get; set; }

    /// <summary>Gets or sets how often the retention task runs, 1 second to 1 day. Default: 1 hour.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets how often this instance reads the schedules to see what other instances changed, 100 milliseconds to 1 hour. Default: 15 seconds. It wakes at each next occurrence on its own, and at once for a change made on it; an occurrence dealt with more than this long after its time counts as missed (see <see cref="JobScheduleMisfire"/>).</summary>
    public TimeSpan SchedulePollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets the JSON options for parameters and checkpoints. Default: <see cref="JsonSerializerDefaults.Web"/>.</summary>
    public JsonSerializerOptions SerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);
}
