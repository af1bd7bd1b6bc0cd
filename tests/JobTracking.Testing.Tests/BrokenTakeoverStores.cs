namespace JobTracking.Testing.Tests;

// Broken stores of takeover: what a reclaim keeps of a job, and what one that resumes (JobReclaimRequest.Resume) does.

/// <summary>Ignores <see cref="JobReclaimRequest.Resume"/>: reclaimed jobs stay Interrupted, and jobs found Interrupted are left alone.</summary>
internal sealed class ReclaimIgnoringResume(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default) =>
        base.ReclaimAsync(Requests.With(request, resume: false), cancellationToken);
}

/// <summary>
/// Resumes as a separate move after the reclaim: each job goes to the back of the queue, and its concurrency key is free
/// in between, so the next job of the key may start first.
/// </summary>
internal sealed class ReclaimThenRequeueAtTheBack(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default)
    {
        if (!request.Resume)
        {
            return await base.ReclaimAsync(request, cancellationToken);
        }

        var found = (await Inner.QueryAsync(new JobQuery { Statuses = [JobStatus.Interrupted], PageSize = JobQuery.MaxPageSize }, cancellationToken)).Items;
        var taken = await Inner.ReclaimAsync(Requests.With(request, resume: false), cancellationToken);
        var result = new List<JobReclaimed>();
        foreach (var (job, previous, owner) in taken.Select(r => (r.Job, r.PreviousStatus, r.PreviousInstanceId)).Concat(found.Select(j => (j, JobStatus.Interrupted, (string?)null))))
        {
            if (job.Status == JobStatus.Interrupted)
            {
                await Inner.TryTransitionAsync(new JobTransition { JobId = job.Id, FromStatus = JobStatus.Interrupted, ExpectedVersion = job.Version, ToStatus = JobStatus.Queued, At = request.At }, cancellationToken);
            }

            result.Add(new JobReclaimed { Job = Present((await Inner.GetAsync(job.Id, cancellationToken))!), PreviousStatus = previous, PreviousInstanceId = owner });
        }

        return result;
    }
}

/// <summary>Queues a job reclaimed while Pausing again, so it runs on although a pause was asked for.</summary>
internal sealed class ReclaimQueueingPausingJobs(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default)
    {
        var result = new List<JobReclaimed>();
        foreach (var reclaimed in await Inner.ReclaimAsync(request, cancellationToken))
        {
            var job = reclaimed.Job;
            if (reclaimed.PreviousStatus == JobStatus.Pausing && job.Status == JobStatus.Paused)
            {
                await Inner.TryTransitionAsync(new JobTransition { JobId = job.Id, FromStatus = JobStatus.Paused, ExpectedVersion = job.Version, ToStatus = JobStatus.Queued, At = request.At }, cancellationToken);
                job = (await Inner.GetAsync(job.Id, cancellationToken))!;
            }

            result.Add(new JobReclaimed { Job = Present(job), PreviousStatus = reclaimed.PreviousStatus, PreviousInstanceId = reclaimed.PreviousInstanceId });
        }

        return result;
    }
}
