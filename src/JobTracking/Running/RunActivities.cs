using System.Collections.Concurrent;
using System.Diagnostics;
using JobTracking.Control;

namespace JobTracking.Running;

/// <summary>The tracing of runs: one activity per run, linked to the activity of the job's previous run when that one paused or was interrupted.</summary>
internal sealed class RunActivities
{
    private readonly ConcurrentDictionary<Guid, ActivityContext> _previous = new();
    private int _count;

    /// <summary>Starts a run's activity (none without listeners), linked to the job's previous run if one was remembered.</summary>
    public Activity? Start(JobRun run)
    {
        ActivityContext previous = default;
        var linked = Volatile.Read(ref _count) != 0 && _previous.TryRemove(run.JobId, out previous);
        if (linked)
        {
            Interlocked.Decrement(ref _count);
        }

        if (!JobTrackingMetrics.ActivitySource.HasListeners())
        {
            return null;
        }

        ActivityLink[]? links = linked ? [new ActivityLink(previous)] : null;
        var activity = JobTrackingMetrics.ActivitySource.StartActivity($"{run.TypeName} execute", ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag("job.id", run.JobId.ToString());
        activity?.SetTag("job.type", run.TypeName);
        activity?.SetTag("job.attempt", run.Attempt);
        return activity;
    }

    /// <summary>Remembers a run's activity for the job's next run to link back to.</summary>
    public void Remember(Guid jobId, Activity activity)
    {
        if (_previous.TryAdd(jobId, activity.Context))
        {
            Interlocked.Increment(ref _count);
        }
    }
}
