using JobTracking.Ownership;
using JobTracking.Storage;

namespace JobTracking.Running;

// The engine's writes: transitions, creates and claims, each the store's answer as it comes on the hot path.
internal sealed partial class JobEngine
{
    /// <summary>Applies a transition; the store records it in its change feed, which tells subscribers and waiters.</summary>
    /// <param name="job">The job as last read.</param>
    /// <param name="transition">The move.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public ValueTask<bool> TryTransitionAsync(JobRecord job, JobTransition transition, CancellationToken cancellationToken = default) =>
        TryTransitionAsync(job, transition, lease: null, untilStored: false, cancellationToken);

    /// <summary>Applies a move under a claim, retrying transient store errors while the claim is held.</summary>
    /// <param name="job">The job as last read.</param>
    /// <param name="transition">The move, under <paramref name="lease"/>'s claim.</param>
    /// <param name="lease">The claim's lease: nothing is sent once it is not held, and a retry waiting for the store stops when it is lost.</param>
    /// <param name="untilStored">Retries for as long as the claim is held (a run's last word), not only <see cref="JobTrackingOptions.TransientRetryCount"/> times.</param>
    /// <returns><see langword="false"/> when the store refused the move or the claim is no longer held.</returns>
    /// <exception cref="OperationCanceledException">The claim was lost while a retry waited.</exception>
    public ValueTask<bool> TryTransitionAsync(JobRecord job, JobTransition transition, JobLease lease, bool untilStored = true) =>
        lease.IsHeld ? TryTransitionAsync(job, transition, lease, untilStored, CancellationToken.None) : new(false);

    // The hot path: the store's answer as it comes, no retry machinery unless the call fails or has to wait, and one
    // state machine (not one per layer) when it has to wait.
    private ValueTask<bool> TryTransitionAsync(JobRecord job, JobTransition transition, JobLease? lease, bool untilStored, CancellationToken cancellationToken)
    {
        ValueTask<bool> call;
        try
        {
            call = Store.TryTransitionAsync(transition, cancellationToken);
        }
        catch (Exception ex) when (Retry.IsTransient(ex))
        {
            call = RetryTransitionAsync(transition, lease, untilStored, cancellationToken);
            return AwaitTransitionAsync(call, job, transition, lease, untilStored, retried: true, cancellationToken);
        }

        if (call.IsCompletedSuccessfully)
        {
            var applied = call.Result;
            if (applied)
            {
                AfterTransition(job, transition.ToStatus, transition.At);
            }

            return new(applied);
        }

        return AwaitTransitionAsync(call, job, transition, lease, untilStored, retried: false, cancellationToken);
    }

    private async ValueTask<bool> AwaitTransitionAsync(
        ValueTask<bool> call, JobRecord job, JobTransition transition, JobLease? lease, bool untilStored, bool retried, CancellationToken cancellationToken)
    {
        bool applied;
        try
        {
            applied = await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (!retried && Retry.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            applied = await RetryTransitionAsync(transition, lease, untilStored, cancellationToken).ConfigureAwait(false);
        }

        if (applied)
        {
            AfterTransition(job, transition.ToStatus, transition.At);
        }

        return applied;
    }

    /// <summary>Stores a new job; the store records its creation in the feed.</summary>
    /// <remarks>
    /// A transient error may come after the store committed the job (its answer was lost); the retry then finds the job
    /// stored, identical, and the store answers it as stored (the contract of <see cref="IJobStore.CreateAsync"/>), so the
    /// caller is told the job was started and the scheduler is woken for it. Another job with the id is still refused.
    /// </remarks>
    /// <returns>The id of the job stored: <paramref name="job"/>'s, or that of the job holding its idempotency key (then nothing was created).</returns>
    public ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken)
    {
        if (Feed.Backpressure is not null)
        {
            return CreateAfterFeedRoomAsync(job, cancellationToken);
        }

        // The hot path, as for a transition: the store's answer as it comes, and one state machine when it has to wait.
        ValueTask<Guid> call;
        try
        {
            call = Store.CreateAsync(job, cancellationToken);
        }
#pragma warning disable CA1031 // Not caught: a store's error thrown at once is handed to the caller in the returned task, as an async method would.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (Retry.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                return AwaitCreateAsync(Retry.RetryAfterAsync((Store, job), static (s, ct) => s.Store.CreateAsync(s.job, ct), ex, untilStored: false, cancellationToken), job, retried: true, cancellationToken);
            }

            return ex is OperationCanceledException && cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<Guid>(cancellationToken) : ValueTask.FromException<Guid>(ex);
        }

        if (call.IsCompletedSuccessfully)
        {
            Retry.Succeeded();
            return new(Created(job, call.Result));
        }

        return AwaitCreateAsync(call, job, retried: false, cancellationToken);
    }

    private async ValueTask<Guid> AwaitCreateAsync(ValueTask<Guid> call, JobRecord job, bool retried, CancellationToken cancellationToken)
    {
        Guid id;
        try
        {
            id = await call.ConfigureAwait(false);
            if (!retried)
            {
                Retry.Succeeded();
            }
        }
        catch (Exception ex) when (!retried && Retry.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
        {
            id = await Retry.RetryAfterAsync((Store, job), static (s, ct) => s.Store.CreateAsync(s.job, ct), ex, untilStored: false, cancellationToken).ConfigureAwait(false);
        }

        return Created(job, id);
    }

    private async ValueTask<Guid> CreateAfterFeedRoomAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await WaitForFeedRoomAsync(1, cancellationToken).ConfigureAwait(false);
        return Created(job, await StoreCreateAsync(job, cancellationToken).ConfigureAwait(false));
    }

    // The store's id for the job: its own (created: counted, and the scheduler told), or the key holder's (nothing created).
    private Guid Created(JobRecord job, Guid id)
    {
        if (id == job.Id)
        {
            _metrics.Created(job.TypeName);
            AfterTransition(job, job.Status, job.CreatedAt);
        }

        return id;
    }

    /// <summary>Stores new jobs in one store call, all or nothing; the store records each creation in the feed, and the scheduler is woken once.</summary>
    /// <returns>For each job, in order, the id stored for it: its own, or that of the job holding its idempotency key.</returns>
    public async ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken)
    {
        // After a transient error the batch was stored whole or not at all; if it was (the answer was lost), the retry
        // finds every job identical and the store answers it as stored (IJobStore.CreateManyAsync), so the whole call can be
        // tried again, and the scheduler is woken either way.
        await WaitForFeedRoomAsync(jobs.Count, cancellationToken).ConfigureAwait(false);
        var ids = await Retry.RunAsync((Store, jobs), static (s, ct) => s.Store.CreateManyAsync(s.jobs, ct), cancellationToken).ConfigureAwait(false);
        var queued = false;
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            if (ids[i] != job.Id)
            {
                continue;
            }

            _metrics.Created(job.TypeName);
            _metrics.Transition(job, job.Status, job.CreatedAt);
            queued |= job.Status == JobStatus.Queued;
        }

        if (queued)
        {
            JobQueued?.Invoke();
        }

        return ids;
    }

    /// <summary>Counts a command's stored move (applied, or found stored after its acknowledgement was lost), and wakes the scheduler when it queued the job.</summary>
    public void AnnounceCommand(JobRecord job, in JobTransition transition) => AfterTransition(job, transition.ToStatus, transition.At);

    /// <summary>Claims queued jobs for this instance; each claim is registered (and so renewed) the moment the store has granted it.</summary>
    public async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken)
    {
        // Sent now: the store dates the lease at some moment after this, so by its clock the lease ends no earlier than now + LeaseDuration.
        await WaitForFeedRoomAsync(request.MaxCount, cancellationToken).ConfigureAwait(false);
        var sent = Claims.Now;
        var claimed = await Retry.RunAsync((Store, request), static (s, ct) => s.Store.ClaimAsync(s.request, ct), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < claimed.Count; i++) // by index: a foreach over the interface boxes an enumerator per claim
        {
            var job = claimed[i];
            Claims.Grant(job, sent);
            _metrics.Started(job.TypeName);
            AfterTransition(job, JobStatus.Running, request.At);
        }

        return claimed;
    }

    // A retry under a claim sends nothing once the claim is no longer held, and stops waiting out its backoff when it is lost.
    private ValueTask<bool> RetryTransitionAsync(JobTransition transition, JobLease? lease, bool untilStored, CancellationToken cancellationToken) =>
        Retry.RunAsync(
            (Store, transition, lease),
            static (s, ct) => s.lease is { IsHeld: false } ? new ValueTask<bool>(false) : s.Store.TryTransitionAsync(s.transition, ct),
            lease?.LostToken ?? cancellationToken,
            untilStored);

    private ValueTask<Guid> StoreCreateAsync(JobRecord job, CancellationToken cancellationToken) =>
        Retry.RunAsync((Store, job), static (s, ct) => s.Store.CreateAsync(s.job, ct), cancellationToken);

    // New work waits here while a subscriber that must not lose events is close to a ring behind (in-memory store only).
    private ValueTask WaitForFeedRoomAsync(int changes, CancellationToken cancellationToken) =>
        Feed.Backpressure is { } backpressure ? backpressure.WaitForRoomAsync(changes, cancellationToken) : ValueTask.CompletedTask;
}
