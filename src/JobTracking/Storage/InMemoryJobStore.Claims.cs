using System.Collections.Concurrent;
using System.Globalization;

namespace JobTracking.Storage;

// The in-memory store: claims, lease renewals and reclaims.
public sealed partial class InMemoryJobStore
{
    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckClaim(request);
        cancellationToken.ThrowIfCancellationRequested();
        var leaseEnd = _time.GetUtcNow() + request.LeaseDuration;

        // A claim of one job (the usual one under a light load) answers a list of one, not a list and its array.
        JobRecord? first = null;
        List<JobRecord>? claimed = null;
        Dictionary<string, int>? claimedByType = request.TypeLimits.Count == 0 ? null : new(StringComparer.Ordinal);
        lock (_queueLock)
        {
            PromoteDueLocked(_time.GetUtcNow());
            while ((claimed?.Count ?? (first is null ? 0 : 1)) < request.MaxCount && TryDequeueBest(request.TypeLimits, claimedByType, out var ticket))
            {
                var entry = ticket.Entry;
                if (Volatile.Read(ref entry.State) != Pack(JobStatus.Queued, ticket.Version, busy: false))
                {
                    continue; // moved on since it was queued (held, cancelled, or queued again with a newer ticket)
                }

                if (entry.ConcurrencyKey is { } key && !_activeKeys.Add(key))
                {
                    if (!_waitingForKey.TryGetValue(key, out var waiting))
                    {
                        _waitingForKey[key] = waiting = new Queue<Ticket>();
                    }

                    waiting.Enqueue(ticket);
                    continue;
                }

                var transition = new JobTransition
                {
                    JobId = entry.Id,
                    FromStatus = JobStatus.Queued,
                    ExpectedVersion = ticket.Version,
                    ToStatus = JobStatus.Running,
                    At = request.At,
                    Node = request.Node,
                };
                if (TryApply(entry, in transition, keyHeld: true, new JobClaim { InstanceId = request.InstanceId, ClaimId = RandomIds.NewGuid(), LeaseExpiresAt = leaseEnd }))
                {
                    var snapshot = entry.Snapshot()!;
                    if (first is null)
                    {
                        first = snapshot;
                    }
                    else
                    {
                        (claimed ??= [first]).Add(snapshot);
                    }

                    if (claimedByType is not null)
                    {
                        claimedByType[entry.TypeName] = claimedByType.GetValueOrDefault(entry.TypeName) + 1;
                    }
                }
                else if (entry.ConcurrencyKey is { } heldKey)
                {
                    ReleaseKeyLocked(heldKey);
                }
            }
        }

        IReadOnlyList<JobRecord> answer = claimed is not null ? claimed : first is null ? [] : [first];
        return new(answer);
    }

    /// <inheritdoc/>
    public ValueTask<DateTimeOffset?> GetNextRunAfterAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_queueLock)
        {
            return new(NextDueLocked(_time.GetUtcNow()));
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckRenewal(renewal);
        cancellationToken.ThrowIfCancellationRequested();
        var leaseEnd = _time.GetUtcNow() + renewal.LeaseDuration;
        var renewed = new List<Guid>(renewal.Claims.Count);
        foreach (var (jobId, claimId) in renewal.Claims)
        {
            if (_jobs.TryGetValue(jobId, out var entry) && Mutate(entry, (claimId, leaseEnd), static (e, r) =>
            {
                if (e.Owner is not { } owner || owner.ClaimId != r.claimId)
                {
                    return false;
                }

                e.Owner = new JobClaim { InstanceId = owner.InstanceId, ClaimId = owner.ClaimId, LeaseExpiresAt = r.leaseEnd };
                return true;
            }))
            {
                renewed.Add(jobId);
            }
        }

        return new(renewed);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckReclaim(request);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        List<JobReclaimed>? reclaimed = null;
        foreach (var entry in _jobs.Values)
        {
            if ((reclaimed?.Count ?? 0) >= request.MaxCount)
            {
                break;
            }

            var state = Volatile.Read(ref entry.State);
            var status = (JobStatus)(state & StatusMask);
            if ((state & BusyBit) != 0)
            {
                continue;
            }

            if (status == JobStatus.Interrupted)
            {
                if (request.Resume && TryResumeInPlace(entry, state, owner: null, request.At))
                {
                    (reclaimed ??= []).Add(new JobReclaimed { Job = entry.Snapshot()!, PreviousStatus = status });
                }

                continue;
            }

            if (!JobLifecycle.IsActive(status))
            {
                continue;
            }

            var owner = entry.Owner;
            var expired = owner is null || owner.LeaseExpiresAt <= now;
            var mine = owner is not null && string.Equals(owner.InstanceId, request.InstanceId, StringComparison.Ordinal);
            if (!expired && (mine || !request.IncludeLiveLeases))
            {
                continue;
            }

            bool taken;
            if (request.Resume && status is JobStatus.Running or JobStatus.ShuttingDown)
            {
                taken = TryResumeInPlace(entry, state, owner, request.At);
            }
            else
            {
                var transition = new JobTransition
                {
                    JobId = entry.Id,
                    FromStatus = status,
                    ExpectedVersion = state >> VersionShift,
                    ToStatus = status switch
                    {
                        JobStatus.Cancelling => JobStatus.Cancelled,
                        JobStatus.Pausing => JobStatus.Paused,
                        _ => JobStatus.Interrupted,
                    },
                    At = request.At,
                    ClaimId = owner?.ClaimId,
                };
                taken = TryApply(entry, in transition);
            }

            if (taken)
            {
                (reclaimed ??= []).Add(new JobReclaimed { Job = entry.Snapshot()!, PreviousStatus = status, PreviousInstanceId = owner?.InstanceId });
            }
        }

        return new(reclaimed is null ? [] : reclaimed);
    }
}
