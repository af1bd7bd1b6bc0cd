using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace JobTracking;

/// <summary>The names under which JobTracking reports to <c>System.Diagnostics</c>: one meter and one activity source, both called <c>JobTracking</c>.</summary>
public static class JobTrackingTelemetry
{
    /// <summary>The name of the meter and of the activity source: add it to OpenTelemetry's <c>AddMeter</c> and <c>AddSource</c>.</summary>
    public const string Name = "JobTracking";
}

/// <summary>The engine's instruments on the <c>JobTracking</c> meter. Each container gets its own meter from <see cref="IMeterFactory"/> when one is registered.</summary>
internal sealed class JobTrackingMetrics : IDisposable
{
    internal static readonly ActivitySource ActivitySource = new(JobTrackingTelemetry.Name);

    private readonly Meter _meter;
    private readonly Counter<long> _created;
    private readonly Counter<long> _started;
    private readonly Counter<long> _finished;
    private readonly Counter<long> _transitions;
    private readonly Histogram<double> _duration;
    private ObservableGauge<long>? _queueDepth;

    public JobTrackingMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(JobTrackingTelemetry.Name) ?? new Meter(JobTrackingTelemetry.Name);
        _created = _meter.CreateCounter<long>("jobtracking.jobs.created", "{job}", "Jobs created (queued or drafted).");
        _started = _meter.CreateCounter<long>("jobtracking.jobs.started", "{job}", "Jobs claimed by a worker (Queued to Running).");
        _finished = _meter.CreateCounter<long>("jobtracking.jobs.finished", "{job}", "Jobs that reached Completed, Cancelled or Failed, by status.");
        _transitions = _meter.CreateCounter<long>("jobtracking.transitions", "{transition}", "Status transitions, by new status.");
        _duration = _meter.CreateHistogram<double>("jobtracking.job.duration", "s", "Time from first start to the end of a finished job, by job type and status.");
    }

    public Meter Meter => _meter;

    /// <summary>Gets whether a listener observes the queue-depth gauge (so the heartbeats count the queued jobs for it).</summary>
    public bool QueueDepthObserved => _queueDepth?.Enabled == true;

    public void Observe(Func<long>? queueDepth, Func<int> running, Func<long> droppedEvents)
    {
        if (queueDepth is not null)
        {
            _queueDepth = _meter.CreateObservableGauge("jobtracking.queue.depth", queueDepth, "{job}", "Jobs waiting in Queued status, counted in the store at each heartbeat while a listener observes this gauge.");
        }

        _meter.CreateObservableGauge("jobtracking.jobs.running", running, "{job}", "Jobs held by this node's workers.");
        _meter.CreateObservableCounter("jobtracking.events.dropped", droppedEvents, "{event}", "Events dropped by full subscriber buffers.");
    }

    public void Created(string typeName)
    {
        if (_created.Enabled)
        {
            _created.Add(1, new KeyValuePair<string, object?>("job.type", typeName));
        }
    }

    public void Started(string typeName)
    {
        if (_started.Enabled)
        {
            _started.Add(1, new KeyValuePair<string, object?>("job.type", typeName));
        }
    }

    public void Transition(JobRecord job, JobStatus to, DateTimeOffset at)
    {
        if (_transitions.Enabled)
        {
            _transitions.Add(1, new KeyValuePair<string, object?>("job.status", StatusName(to)));
        }

        if (!JobLifecycle.IsFinished(to))
        {
            return;
        }

        var type = new KeyValuePair<string, object?>("job.type", job.TypeName);
        var status = new KeyValuePair<string, object?>("job.status", StatusName(to));
        if (_finished.Enabled)
        {
            _finished.Add(1, type, status);
        }

        if (_duration.Enabled && job.StartedAt is { } started)
        {
            _duration.Record(Math.Max(0, (at - started).TotalSeconds), type, status);
        }
    }

    public void Dispose() => _meter.Dispose();

    // Cached names: tagging a measurement must not format an enum each time.
    private static string StatusName(JobStatus status) => status switch
    {
        JobStatus.Editing => "Editing",
        JobStatus.Queued => "Queued",
        JobStatus.Running => "Running",
        JobStatus.Pausing => "Pausing",
        JobStatus.Paused => "Paused",
        JobStatus.Cancelling => "Cancelling",
        JobStatus.Cancelled => "Cancelled",
        JobStatus.Completed => "Completed",
        JobStatus.Failed => "Failed",
        JobStatus.ShuttingDown => "ShuttingDown",
        JobStatus.Interrupted => "Interrupted",
        _ => "Unknown",
    };
}
