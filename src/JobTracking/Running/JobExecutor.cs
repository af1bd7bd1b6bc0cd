using System.Diagnostics;
using JobTracking.Control;
using JobTracking.Ownership;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobTracking.Running;

/// <summary>
/// Runs the jobs this instance claimed, each to its next resting status: builds the job in a scope of its own, runs its
/// code, and stores its outcome against the status the job has by then (a command may have moved it meanwhile); ends the
/// jobs that cannot start; moves running jobs to ShuttingDown when the host stops.
/// </summary>
internal sealed class JobExecutor(JobEngine engine)
{
    private const int MaxCommandWaits = 100; // each wait ends with a change of the job, a withdrawn flag or a heartbeat interval

    // A compare-and-set a run keeps losing against a job it still reads as its own can only be a row the store reads one
    // way and compares another (edited by hand, or a broken store): after this many in a row the run gives the job up.
    private const int MaxRefusedWrites = 100;

    private readonly ILogger _logger = engine.Logger;
    private readonly RunActivities _activities = new();

    /// <summary>Runs a job claimed by this node to its next resting status (finished, paused or interrupted).</summary>
    /// <param name="job">The job as claimed, in status Running.</param>
    /// <param name="epochAtClaim">The command epoch read before the claim.</param>
    /// <param name="stopping">Fires when the host stops; a job not yet started is then interrupted instead.</param>
    /// <param name="finishing">
    /// Called at most once, when the job's code has returned for good (completed or failed) and its final status is about
    /// to be written: the worker takes its next job then, while this run stores its final status (its lease held and
    /// renewed until the write is stored, or the claim lost). A run that ends otherwise (paused, cancelled, interrupted)
    /// may run its code again after a refused write, so it keeps its worker until it returns.
    /// </param>
    public async Task RunAsync(JobRecord job, long epochAtClaim, CancellationToken stopping, Action? finishing = null)
    {
        // A claim that lapsed (or was replaced by a newer one) before its run could start is not this instance's any more:
        // the store takes it back, and nothing is written here.
        if (!engine.Claims.TryGet(job.Id, job.ClaimId, out var lease))
        {
            engine.DropPendingSignal(job.Id);
            return;
        }

        try
        {
            await RunClaimedAsync(job, lease, epochAtClaim, finishing, stopping).ConfigureAwait(false);
        }
        finally
        {
            lease.End();
        }
    }

    private async Task RunClaimedAsync(JobRecord job, JobLease lease, long epochAtClaim, Action? finishing, CancellationToken stopping)
    {
        if (stopping.IsCancellationRequested)
        {
            await EndUnstartedAsync(job, lease, JobStatus.Interrupted, error: null).ConfigureAwait(false);
            return;
        }

        if (!engine.Registry.TryGet(job.TypeName, out var jobType))
        {
            var message = $"Job type '{job.TypeName}' is not registered on node '{engine.Node}'; register it with AddJob or cancel the job.";
            Log.UnknownJobType(_logger, job.Id, job.TypeName);
            await EndUnstartedAsync(job, lease, JobStatus.Failed, new JobError { Type = typeof(UnknownJobTypeException).FullName!, Message = message, StackTrace = null }).ConfigureAwait(false);
            return;
        }

        // Only a definition that takes scoped or disposable services gets a scope; the others are built from the root,
        // with the same result and no scope to create and dispose for each job.
        var scope = jobType.NeedsScope ? new RunScope(engine.Scopes.CreateAsyncScope()) : null;
        try
        {
            JobRun run;
            try
            {
                run = jobType.CreateRun(engine, job, lease, scope?.Services ?? engine.Registry.Root);
            }
#pragma warning disable CA1031 // A job that cannot be built fails; the worker carries on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.JobFailed(_logger, ex, job.Id, job.TypeName);
                await EndUnstartedAsync(job, lease, JobStatus.Failed, JobError.FromException(ex)).ConfigureAwait(false);
                return;
            }

            using (run)
            {
                // One run per job on this instance: an older run of the job (its claim lost, its code still running) is
                // never replaced; this one waits for it to return, its own claim renewed meanwhile.
                while (!engine.Runs.TryAdd(job.Id, run))
                {
                    if (engine.Runs.TryGetValue(job.Id, out var older))
                    {
                        Debug.Assert(older.IsLost, "The store granted a new claim on a job whose run here still holds its claim.");
                        await older.WhenFinished().ConfigureAwait(false);
                    }
                }

                lease.Attach(run);
                engine.TakePendingSignal(run);
                try
                {
                    if (!lease.IsHeld)
                    {
                        return; // lapsed while an older run finished: the job is taken back, this run writes nothing
                    }

                    if (stopping.IsCancellationRequested)
                    {
                        await ShutDownAsync(run, CancellationToken.None).ConfigureAwait(false);
                    }
                    else if (engine.CommandEpoch != epochAtClaim)
                    {
                        await CatchUpAsync(run).ConfigureAwait(false);
                    }

                    using var activity = _activities.Start(run);
                    var resting = await ExecuteUntilRestingAsync(run, activity, finishing, scope).ConfigureAwait(false);
                    if (activity is not null)
                    {
                        activity.SetTag("job.status", resting?.ToString());
                        if (resting == JobStatus.Failed)
                        {
                            activity.SetStatus(ActivityStatusCode.Error);
                        }
                    }
                }
                finally
                {
                    engine.Runs.TryRemove(new KeyValuePair<Guid, JobRun>(job.Id, run));
                    run.MarkFinished();
                }
            }
        }
        finally
        {
            if (scope is not null)
            {
                await scope.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Moves a running job to ShuttingDown and asks it to stop at its next safe point.</summary>
    public async ValueTask ShutDownAsync(JobRun run, CancellationToken cancellationToken = default)
    {
        // Asked before the status says so: whoever sees ShuttingDown can count on the next safe point stopping the job.
        run.RequestShutdown();
        if (run.IsLost)
        {
            return;
        }

        var job = await engine.GetAsync(run.JobId, cancellationToken).ConfigureAwait(false);
        for (var refused = 0; job is not null && job.Status is JobStatus.Running or JobStatus.Pausing && job.ClaimId == run.ClaimId && !run.IsLost; refused++)
        {
            if (refused == MaxRefusedWrites)
            {
                GiveUp(run, job, JobStatus.ShuttingDown);
                return;
            }

            var transition = engine.Transition(job, JobStatus.ShuttingDown) with { ClaimId = run.ClaimId };
            if (await engine.TryTransitionAsync(job, transition, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            job = await engine.GetAsync(run.JobId, cancellationToken).ConfigureAwait(false);
        }
    }

    // The store refused a run's write MaxRefusedWrites times in a row while the job still read as the run's: the run lets
    // the job go (its token fires, it writes nothing more) and the lease lapses, so a reclaim settles the row.
    private void GiveUp(JobRun run, JobRecord job, JobStatus to) => GiveUp(run.Lease, job, to);

    private void GiveUp(JobLease lease, JobRecord job, JobStatus to)
    {
        var error = new JobTrackingException(
            $"The store refused to move job '{job.Id}' to {to} {MaxRefusedWrites} times in a row while it reads as {job.Status}, version {job.Version}, under this run's claim; the run gives the job up and its lease lapses.");
        Log.FinalTransitionFailed(_logger, error, job.Id, job.TypeName);
        lease.Lose("the store refused its writes " + MaxRefusedWrites.ToString(System.Globalization.CultureInfo.InvariantCulture) + " times in a row", log: false);
    }

    // A pause or cancel that won its compare-and-set between the claim and the run's registration found no run to signal.
    public async ValueTask CatchUpAsync(JobRun run)
    {
        var current = await engine.GetAsync(run.JobId).ConfigureAwait(false);
        switch (current?.Status)
        {
            case JobStatus.Pausing:
                run.RequestPause();
                break;
            case JobStatus.Cancelling:
                run.RequestCancel();
                break;
            case JobStatus.ShuttingDown:
                run.RequestShutdown();
                break;
        }
    }

    private async ValueTask<JobStatus?> ExecuteUntilRestingAsync(JobRun run, Activity? activity, Action? finishing, RunScope? scope)
    {
        Log.JobStarted(_logger, run.JobId, run.TypeName, run.Attempt);
        var status = run.Job.Status;
        var version = run.Job.Version;
        var typeOptions = engine.Registry.Get(run.TypeName).Options;
        if ((run.Job.Timeout ?? typeOptions.Timeout) is { } timeout)
        {
            run.StartTimeout(timeout);
        }

        while (true)
        {
            RunOutcome outcome;
            Exception? error = null;
            try
            {
                await run.ExecuteAsync().ConfigureAwait(false);
                outcome = RunOutcome.Completed;
            }
            catch (JobSuspendedException)
            {
                outcome = RunOutcome.Suspended;
            }
            catch (OperationCanceledException) when (run.IsCancelRequested)
            {
                outcome = RunOutcome.Cancelled;
            }
#pragma warning disable CA1031 // Whatever the job throws fails the job, never the worker.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                outcome = RunOutcome.Failed;
                error = run.TimedOut && ex is OperationCanceledException ? new JobTimeoutException(run.Timeout!.Value) : ex;
            }

            if (run.IsLost)
            {
                return null; // another instance owns the job now: write nothing
            }

            // Every log line and reject is stored before the status that ends this run, and no older report lands after it.
            await run.FlushJournalAsync().ConfigureAwait(false);
            await run.WaitForReportSaveAsync().ConfigureAwait(false);
            run.BeginStoringOutcome();
            var fresh = false;
            var waits = 0;
            var refused = 0;

            // Store the outcome against the status the job has now; a racing command moves it, so read and retry.
            while (true)
            {
                var to = RunOutcomes.Resolve(outcome, status, error);
                if (to is null)
                {
                    return null;
                }

                if (to == JobStatus.Running)
                {
                    if (fresh && (!run.HasPendingRequest || ++waits > MaxCommandWaits))
                    {
                        run.ResumeReports();
                        break; // resumed before the safe point it stopped at: run again from the checkpoint
                    }

                    // Stopped while the status still says Running: the pause or cancel that flagged it is landing. Wait
                    // for the feed to show the job move (or for the flag to be taken back), registered before the read.
                    var moved = fresh ? engine.WaitForChangeAsync(run.JobId) : null;
                    if (await ReadStatusAsync(run).ConfigureAwait(false) is not { } current)
                    {
                        return null;
                    }

                    if (moved is not null && current.Status == JobStatus.Running && current.Version == version)
                    {
                        var withdrawn = run.WhenFlagWithdrawn();
                        if (run.HasPendingRequest)
                        {
                            await WaitForMoveAsync(moved, withdrawn).ConfigureAwait(false);
                        }
                    }

                    (status, version, fresh) = (current.Status, current.Version, true);
                    continue;
                }

                var at = engine.TimeProvider.GetUtcNow();

                // A failure its type's policy retries goes back to the queue as a new attempt, not before its backoff.
                var retryAt = to == JobStatus.Failed && status == JobStatus.Running && error is not null
                    ? RetryPolicy.NextAttemptAt(typeOptions, run.Attempt, error, at)
                    : null;
                var stepOutcome = RunOutcomes.StepOutcome(to.Value);
                if (retryAt is not null)
                {
                    to = JobStatus.Queued;
                }

                // The report goes with the status only when it changed since it was last stored (or steps must be closed).
                // It stays marked as changed until the status is stored, so a write that loses its compare-and-set to a
                // command and is tried again carries it too.
                var report = run.IsReportDirty || (stepOutcome is not null && run.HasRunningSteps) ? run.BuildReport(stepOutcome, at, keepDirty: true) : null;
                var transition = new JobTransition
                {
                    JobId = run.JobId,
                    FromStatus = status,
                    ExpectedVersion = version,
                    ToStatus = to.Value,
                    At = at,
                    Node = engine.Node,
                    ClaimId = run.ClaimId,
                    Error = to == JobStatus.Failed || retryAt is not null ? JobError.FromException(error ?? new OperationCanceledException()) : null,
                    HasCheckpoint = run.IsCheckpointDirty || to is JobStatus.Paused or JobStatus.Interrupted,
                    Checkpoint = run.Checkpoint,
                    Report = report,
                    IsNewAttempt = retryAt is not null,
                    RunAfter = retryAt,
                };

                if (activity is not null && to is JobStatus.Paused or JobStatus.Interrupted)
                {
                    _activities.Remember(run.JobId, activity); // recorded before the status, so the next run links back to this one
                }

                var job = status == run.Job.Status && version == run.Job.Version ? run.Job : run.Job with { Status = status, Version = version };

                // Once, and only for an outcome that never runs the code again (completed or failed): the worker moves on to
                // its next job while this write is stored; a refused write below is followed by a read and another try.
                if (outcome is RunOutcome.Completed or RunOutcome.Failed && finishing is not null)
                {
                    // The job's services (a DbContext, a connection) go first, so no more of them are held than workers run.
                    if (scope is not null)
                    {
                        await scope.DisposeAsync().ConfigureAwait(false);
                    }

                    finishing();
                    finishing = null;
                }

                bool applied;
                try
                {
                    // The run's last word is retried until it is stored or the claim is no longer held (refused, or its lease ran out here).
                    applied = await engine.TryTransitionAsync(job, transition, run.Lease).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (run.IsLost)
                {
                    return null;
                }
#pragma warning disable CA1031 // A permanent store error must not take the worker down; the lease lapses and the job is reclaimed.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.FinalTransitionFailed(_logger, ex, run.JobId, run.TypeName);
                    run.MarkLost("its final status could not be stored");
                    return null;
                }

                if (applied)
                {
                    run.MarkStored();
                    if (retryAt is { } next)
                    {
                        Log.JobRetrying(_logger, error, run.JobId, run.TypeName, run.Attempt, typeOptions.MaxAttempts, next);
                        await engine.History.RecordRetryAsync(run.JobId, status, run.Attempt + 1, transition.At, error).ConfigureAwait(false);
                    }
                    else
                    {
                        LogOutcome(run, to.Value, error);
                    }

                    return to;
                }

                if (run.IsLost || await ReadStatusAsync(run).ConfigureAwait(false) is not { } read)
                {
                    return null;
                }

                // Refused although the job reads as the write expected it: counted; a job that moved (a command won) resets the count.
                refused = read.Status == status && read.Version == version ? refused + 1 : 0;
                if (refused >= MaxRefusedWrites)
                {
                    GiveUp(run, run.Job with { Status = status, Version = version }, to.Value);
                    return null;
                }

                (status, version, fresh) = (read.Status, read.Version, true);
            }
        }
    }

    // Waits for a flagged command to land (the feed shows the job changed) or to be taken back, and at most one heartbeat
    // interval, so a run never waits for ever on a feed that cannot be read.
    private async Task WaitForMoveAsync(Task moved, Task withdrawn)
    {
        using var bound = new CancellationTokenSource();
        var timeout = Task.Delay(engine.Options.HeartbeatInterval, engine.TimeProvider, bound.Token);
        await Task.WhenAny(moved, withdrawn, timeout).ConfigureAwait(false);
        await bound.CancelAsync().ConfigureAwait(false);
    }

    // Reads the job's status for the run; null (and the run marked lost) when the job is gone or another claim owns it.
    private async ValueTask<(JobStatus Status, long Version)?> ReadStatusAsync(JobRun run)
    {
        JobRecord? current;
        try
        {
            current = await engine.Retry.RunAsync((engine.Store, run.JobId), static (s, ct) => s.Store.GetAsync(s.JobId, ct), run.Lease.LostToken, untilStored: true).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.IsLost)
        {
            return null; // the claim was lost while the read waited for the store
        }
#pragma warning disable CA1031 // As for the final transition: give the job up and let its lease lapse.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.FinalTransitionFailed(_logger, ex, run.JobId, run.TypeName);
            run.MarkLost("its status could not be read");
            return null;
        }

        if (current is null)
        {
            run.MarkLost("the job was deleted");
            return null;
        }

        if (run.ClaimId is { } claim && current.ClaimId != claim)
        {
            run.MarkLost(current.ClaimId is null ? "its claim was released by another instance" : "another instance claimed it");
            return null;
        }

        return (current.Status, current.Version);
    }

    private void LogOutcome(JobRun run, JobStatus status, Exception? error)
    {
        if (status == JobStatus.Failed)
        {
            Log.JobFailed(_logger, error, run.JobId, run.TypeName);
        }
        else
        {
            Log.JobStopped(_logger, run.JobId, run.TypeName, status);
        }
    }

    private async ValueTask EndUnstartedAsync(JobRecord job, JobLease lease, JobStatus to, JobError? error)
    {
        engine.DropPendingSignal(job.Id);
        lease.BeginStoringOutcome();
        var current = job;
        try
        {
            for (var refused = 0; current is not null && JobLifecycle.IsActive(current.Status) && current.ClaimId == job.ClaimId && lease.IsHeld; refused++)
            {
                if (refused == MaxRefusedWrites)
                {
                    GiveUp(lease, current, to);
                    return;
                }

                var target = current.Status == JobStatus.Cancelling ? JobStatus.Cancelled : to;
                var transition = engine.Transition(current, target) with { Error = error, ClaimId = job.ClaimId };
                if (await engine.TryTransitionAsync(current, transition, lease).ConfigureAwait(false))
                {
                    return;
                }

                if (!lease.IsHeld)
                {
                    return;
                }

                current = await engine.GetAsync(job.Id, lease.LostToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!lease.IsHeld)
        {
            // Lost while a retry waited for the store: the job is taken back, nothing more is written.
        }
    }
}
