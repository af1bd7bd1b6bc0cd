namespace JobTracking.Storage;

/// <summary>Where jobs live and wait: their lifecycle, the queue, and who owns a running job. The first of a store's four narrow contracts.</summary>
/// <remarks>
/// <para>A store implements <see cref="IJobStore"/>, <see cref="IJobJournalStore"/>, <see cref="IJobQueryStore"/> and <see cref="IJobFeedStore"/>, usually on one
/// class, and is registered with <c>UseStore</c>. The engine validates every argument before it calls a store (the shared
/// checks are in <see cref="JobStoreArguments"/>), so a store need not repeat them.</para>
/// <para><b>Rules every store keeps</b> (the conformance kit in JobTracking.Testing checks each of them):</para>
/// <list type="bullet">
/// <item><b>Thread-safety.</b> Every member may be called from many threads at once, and from several processes when the
/// store declares <see cref="JobStoreCapabilities.SharedAcrossProcesses"/>.</item>
/// <item><b>Atomic compare-and-set.</b> A transition, a claim, a lease renewal and a reclaim each apply as one atomic step:
/// of two racing writers on one job, exactly one wins.</item>
/// <item><b>Read your writes.</b> Once a call has returned, a <see cref="GetAsync"/> from any thread sees its effect.</item>
/// <item><b>Time.</b> Times round-trip to at least the microsecond (the kit compares at microseconds). Lease expiry is
/// computed with the store's own clock (a database's <c>now()</c>; in process, the store's <see cref="TimeProvider"/>), never the caller's.</item>
/// <item><b>Text.</b> Every text the engine hands over (names, parameters, checkpoints, errors) round-trips exactly,
/// including NUL and any other Unicode character; the engine bounds its length.</item>
/// <item><b>Ownership.</b> A claim gives the claiming instance a <see cref="JobRecord.ClaimId"/> and a lease. A write that
/// carries a claim id (a transition, a progress update, a journal entry) is refused once that claim is not the job's
/// current one; a job leaving the active statuses (Running, Pausing, Cancelling, ShuttingDown) loses its claim.</item>
/// <item><b>Queue order.</b> Claims take the highest priority first, then the job queued first ("oldest first" means the
/// order in which jobs entered Queued, each time they entered it, not their creation time). A job that
/// <see cref="ReclaimAsync"/> queues again (<see cref="JobReclaimRequest.Resume"/>) is the exception: it keeps the place it had
/// when it last entered Queued, ahead of the jobs queued after it.</item>
/// <item><b>Time.</b> A queued job whose <see cref="JobRecord.RunAfter"/> is later than the store's now is not claimed. It enters the
/// queue when its time comes: among jobs of equal priority it is claimed after the jobs that were ready before its time, and jobs
/// that come due together are claimed in the order of their times. A store may let a due job enter the queue at its next claim
/// rather than at its exact time. Claims stay as fast with many jobs waiting for later as with none (do not scan them).</item>
/// <item><b>Idempotency keys.</b> A job with an <see cref="JobRecord.IdempotencyKey"/> holds it while it is unfinished, and once
/// finished while its <see cref="JobRecord.IdempotentUntil"/> is <see langword="null"/> or later than the store's now. A create whose
/// key is held returns the holder's id and stores nothing; a create whose key is no longer held takes it (the former holder's
/// <see cref="JobRecord.IdempotencyKey"/> reads <see langword="null"/> afterwards, its version unchanged). Atomic across
/// processes: of many racing creates with one key, exactly one job is stored.</item>
/// <item><b>Drafts.</b> A draft edit raises the version by one, as a transition does.</item>
/// <item><b>Errors.</b> A store tells the engine which of its errors are worth retrying through <see cref="IsTransient"/>. An
/// <see cref="ArgumentException"/> (a bad argument, an id already held, a move the lifecycle does not allow) is never
/// transient: the same call cannot succeed when tried again.</item>
/// <item><b>Lost acknowledgements.</b> A transient error may reach the engine after the store applied the call (a
/// connection dropped during or after the commit), and the engine then sends the same call again. So that a retried
/// write tells the caller what was stored: a create that finds the identical job (<see cref="JobStoreArguments.IsIdenticalNewJob"/>)
/// returns as if it had stored it, storing and recording nothing (see <see cref="CreateAsync"/> and <see cref="CreateManyAsync"/>);
/// and a transition, which is a compare-and-set and so cannot apply twice, needs nothing more than the rules above: the
/// engine reads the job, and when it has moved on, the change feed (<see cref="IJobFeedStore"/>, whose changes carry each
/// job's version and previous status), to learn whether its own move was stored.</item>
/// </list>
/// </remarks>
public interface IJobStore
{
    /// <summary>Gets what this store can do beyond the contract, such as being shared by several processes.</summary>
    JobStoreCapabilities Capabilities { get; }

    /// <summary>Tells whether an error this store threw is transient: the same call may succeed if tried again (a busy file, a lost connection, a serialization failure); never for an <see cref="ArgumentException"/>.</summary>
    /// <param name="exception">An exception thrown by one of this store's members.</param>
    /// <returns><see langword="true"/> when the engine should retry the call after a pause.</returns>
    bool IsTransient(Exception exception);

    /// <summary>Stores a new job, or, when the store already holds this very job or a job holding its idempotency key, does nothing: a create sent again after its answer was lost succeeds, and a start that is repeated returns the first job.</summary>
    /// <remarks>
    /// When a job with the id exists, the store compares it with <paramref name="job"/> as <see cref="JobStoreArguments.IsIdenticalNewJob"/>
    /// does (same type name, display name, parameters, launched-by, priority, concurrency key, creation time to the
    /// microsecond, and, while the stored job has version 1, status). Identical: the call returns without storing, queuing
    /// or recording a change. Different: it throws <see cref="ArgumentException"/> and changes nothing. When the job has an
    /// <see cref="JobRecord.IdempotencyKey"/> that another job holds (see the rules above), the call returns that job's id
    /// and stores nothing.
    /// </remarks>
    /// <param name="job">The job, in status Editing or Queued with version 1 and no previous attempts.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The id of the job stored (or found stored, identical): <paramref name="job"/>'s id, or the id of the job that holds its idempotency key.</returns>
    /// <exception cref="ArgumentException">Another job with the same id exists, or the status is neither Editing nor Queued (<see cref="JobStoreArguments.CheckNewJob"/>).</exception>
    ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default);

    /// <summary>Stores several new jobs as one step, all or nothing: either every job is stored, or none is, and no reader ever sees part of the batch.</summary>
    /// <remarks>
    /// <para>Each job is recorded in the change feed as a <see cref="JobEventKind.Created"/> change, in the order of the list,
    /// and queued jobs of equal priority are claimed in that order. A SQL store writes the batch in one transaction.</para>
    /// <para>A batch sent again after its answer was lost finds every one of its jobs stored: when the store holds a job
    /// with each id of the batch, each identical to its job (<see cref="JobStoreArguments.IsIdenticalNewJob"/>), the call
    /// returns without storing, queuing or recording anything. When it holds some of the ids and not others, or one of
    /// the jobs it holds is not identical, the batch is refused whole with <see cref="ArgumentException"/>.</para>
    /// <para>Idempotency keys are honoured per job, as <see cref="CreateAsync"/> does: a job whose key is held (by a stored job, or by
    /// an earlier job of the same batch) is not stored, and its place in the returned list holds the holder's id. The
    /// identity check above counts only the jobs the batch itself stored.</para>
    /// </remarks>
    /// <param name="jobs">The jobs, each as <see cref="CreateAsync"/> takes it, with distinct ids; an empty list stores nothing.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each job of the list, in order, the id of the job stored for it: its own id, or that of the job holding its idempotency key.</returns>
    /// <exception cref="ArgumentException">A job is null or invalid, two jobs share an id (<see cref="JobStoreArguments.CheckNewJobs"/>), or the store holds some of the ids but not all, or holds a job that is not identical to the batch's job with its id; nothing was stored.</exception>
    ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default);

    /// <summary>Reads one job.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job, or <see langword="null"/> when the store does not hold it.</returns>
    ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>Moves a job to a new status if it still has the expected status and version (and, when the move carries a claim, that claim).</summary>
    /// <param name="transition">The move and the values stored with it; see <see cref="JobTransition"/> for what a store sets.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when the move was applied; <see langword="false"/> when the job is missing, has moved on, or is no longer owned by the transition's claim.</returns>
    /// <exception cref="ArgumentException">The lifecycle does not allow the move.</exception>
    ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default);

    /// <summary>Moves up to <see cref="JobClaimRequest.MaxCount"/> queued jobs to Running for an instance, highest priority first, then oldest first, each with a new claim and a lease.</summary>
    /// <remarks>A job whose concurrency key is held by an active job (Running, Pausing, Cancelling, ShuttingDown), or whose <see cref="JobRecord.RunAfter"/> is later than the store's now, is not claimed. Concurrent claimers, in this process or another, never get the same job.</remarks>
    /// <param name="request">Who claims, how many, for how long, and which types to leave.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The claimed jobs, as they are after the move (with <see cref="JobRecord.ClaimId"/> and <see cref="JobRecord.LeaseExpiresAt"/> set); empty when none is ready.</returns>
    ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default);

    /// <summary>Finds when the next queued job that waits for its time comes due: the earliest <see cref="JobRecord.RunAfter"/> among queued jobs whose time is later than the store's now.</summary>
    /// <remarks>The engine asks when it starts and after each wake-up it set for a due job, so a job created before the instance started, or by another one, still runs on time. Answer from an index: do not scan the queue.</remarks>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The earliest such time, or <see langword="null"/> when no queued job waits for a later time.</returns>
    ValueTask<DateTimeOffset?> GetNextRunAfterAsync(CancellationToken cancellationToken = default);

    /// <summary>Extends the leases of an instance's running jobs, in one call: each listed claim that is still its job's current claim gets a lease that ends <see cref="JobLeaseRenewal.LeaseDuration"/> from the store's now.</summary>
    /// <param name="renewal">The instance, its claims and the lease duration.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ids of the jobs whose lease was renewed; a listed job missing from it is no longer owned by its run (it was reclaimed, finished or deleted).</returns>
    ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default);

    /// <summary>Moves active jobs whose owner is gone to the status their owner would have left them in, set-based, clearing the claim: Running and ShuttingDown to Interrupted, Pausing to Paused (its checkpoint kept), Cancelling to Cancelled; with <see cref="JobReclaimRequest.Resume"/>, interrupted jobs are queued again in the same call.</summary>
    /// <remarks>
    /// <para>A job is taken when its lease has expired by the store's clock (or it has no lease), or, with <see cref="JobReclaimRequest.IncludeLiveLeases"/>, whenever it is not claimed by the calling instance.</para>
    /// <para>Each move raises the version by one and records one change in the feed, except a job taken from Running or
    /// ShuttingDown with <see cref="JobReclaimRequest.Resume"/> set: it moves to Interrupted and on to Queued in the same
    /// atomic step, two changes in that order and the version raised by two. With <see cref="JobReclaimRequest.Resume"/>
    /// set, jobs found Interrupted move to Queued too (one change each), whatever their lease. A job queued again keeps the
    /// place in the queue it had when it last entered Queued, and a concurrency key held by a job taken from an active
    /// status passes to it: no claim, in this process or another, sees the key free until the job is queued again, so
    /// the jobs of a key still run in queue order. <see cref="JobReclaimRequest.MaxCount"/> counts every job moved.</para>
    /// </remarks>
    /// <param name="request">Who reclaims, which jobs, how many at most, and whether interrupted jobs are queued again.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The reclaimed and resumed jobs as they are after the call, each with the status it was taken from in <see cref="JobReclaimed.PreviousStatus"/>.</returns>
    ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default);

    /// <summary>Stores a running job's report (progress, steps, warnings) and, when <see cref="JobProgressUpdate.HasCheckpoint"/> is set, its checkpoint, without changing its status.</summary>
    /// <remarks>A checkpoint and the report stored with it are kept together (<see cref="JobRecord.CheckpointReport"/>), so a run that resumes from the checkpoint counts from there.</remarks>
    /// <param name="update">The job, its claim, the report and the checkpoint.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when stored; <see langword="false"/> when the job is missing, not active, or owned by another claim.</returns>
    ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Replaces a draft's parameters and display name and raises its version by one; only a job in status Editing may be changed.</summary>
    /// <param name="jobId">The draft's id.</param>
    /// <param name="expectedVersion">The version the draft must still have.</param>
    /// <param name="parameters">The new parameters, as JSON.</param>
    /// <param name="displayName">The new display name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when the draft was changed; <see langword="false"/> when it is missing, no longer a draft, or has another version.</returns>
    ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default);
}
