using System.Collections.Concurrent;
using System.Diagnostics;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.Ownership;

/// <summary>
/// Every claim this instance holds, from the moment the store granted it (claimed ahead, in a batch, or running) until
/// its run ends: the lease keeper renews all of them, and on a store other processes share a claim whose deadline passes
/// without a successful renewal is lost here, whether the store refused the renewal or did not answer.
/// </summary>
/// <remarks>
/// Invariant: at most one lease per job. A claim the store grants for a job this instance already holds a lease on means
/// the older claim was taken back; the older lease is lost when the newer one is registered.
/// </remarks>
internal sealed class ClaimRegistry : IDisposable
{
    private readonly ConcurrentDictionary<Guid, JobLease> _leases = new();
    private readonly TimeProvider _time;
    private readonly long _usable;
    private readonly bool _enforced;
    private readonly ITimer? _watch;
    private readonly Lock _watchLock = new();
    private long _watchAt = long.MaxValue;

    public ClaimRegistry(TimeProvider time, TimeSpan leaseDuration, bool enforced, ILogger logger)
    {
        _time = time;
        Logger = logger;
        _enforced = enforced;
        var usable = leaseDuration - Margin(leaseDuration);
        _usable = (long)(usable.TotalSeconds * time.TimestampFrequency);
        if (enforced)
        {
            _watch = time.CreateTimer(static state => ((ClaimRegistry)state!).OnWatch(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Gets the part of a lease the node gives up at its end: a fifth of <paramref name="leaseDuration"/>.</summary>
    /// <remarks>
    /// The node never compares its clock with the store's, so an offset between them does not matter; the margin covers a
    /// node clock running up to 20 % slower than the store's, and gives a job whose token has fired that long to stop
    /// before any other instance may take its job.
    /// </remarks>
    public static TimeSpan Margin(TimeSpan leaseDuration) => leaseDuration / 5;

    public ILogger Logger { get; }

    /// <summary>Gets how many claims this instance holds.</summary>
    public int Count => _leases.Count;

    /// <summary>Gets the node's monotonic clock, for the moment a claim or renewal is sent.</summary>
    public long Now => _time.GetTimestamp();

    /// <summary>Registers a claim the store just granted, sent at <paramref name="sentAt"/>; an older lease on the same job is lost.</summary>
    public JobLease Grant(JobRecord claimed, long sentAt)
    {
        Debug.Assert(claimed.ClaimId is not null, "A claimed job carries its claim.");
        var lease = new JobLease(this, claimed.Id, claimed.TypeName, claimed.ClaimId.GetValueOrDefault(), claimed.Version, sentAt + _usable);
        while (!_leases.TryAdd(claimed.Id, lease))
        {
            if (_leases.TryGetValue(claimed.Id, out var older) && _leases.TryUpdate(claimed.Id, lease, older))
            {
                older.Lose("the store granted this instance a newer claim on the job");
                break;
            }
        }

        Watch(lease.Deadline);
        return lease;
    }

    /// <summary>Finds the lease of <paramref name="claimId"/> on <paramref name="jobId"/>; <see langword="false"/> when that claim is no longer held here.</summary>
    public bool TryGet(Guid jobId, Guid? claimId, out JobLease lease) =>
        _leases.TryGetValue(jobId, out lease!) && lease.ClaimId == claimId && lease.IsHeld;

    /// <summary>Gets the claims to renew: every one held.</summary>
    public Dictionary<Guid, Guid> Claims()
    {
        var claims = new Dictionary<Guid, Guid>(_leases.Count);
        foreach (var lease in _leases.Values)
        {
            if (lease.IsHeld)
            {
                claims[lease.JobId] = lease.ClaimId;
            }
        }

        return claims;
    }

    /// <summary>Applies a renewal sent at <paramref name="sentAt"/>: the renewed claims get a later deadline, the others are lost.</summary>
    public void Renewed(Dictionary<Guid, Guid> asked, IReadOnlyCollection<Guid> renewed, long sentAt)
    {
        var kept = renewed as ISet<Guid> ?? new HashSet<Guid>(renewed);
        foreach (var (jobId, claim) in asked)
        {
            if (!_leases.TryGetValue(jobId, out var lease) || lease.ClaimId != claim)
            {
                continue; // ended or replaced meanwhile
            }

            if (kept.Contains(jobId))
            {
                lease.Extend(sentAt + _usable);
            }
            else if (!lease.IsStoringOutcome)
            {
                // A run storing its outcome may have just cleared its claim; if the claim was taken instead, that write says so.
                lease.Lose("its lease could not be renewed: the store no longer holds its claim");
            }
        }
    }

    /// <summary>Drops every claim still held (the host stopped): whatever their runs do later, nothing of it leaves the node.</summary>
    /// <returns>The leases dropped.</returns>
    public List<JobLease> DropAll()
    {
        var dropped = new List<JobLease>();
        foreach (var lease in _leases.Values)
        {
            if (lease.Lose("the host stopped", log: false))
            {
                dropped.Add(lease);
            }
        }

        return dropped;
    }

    public void Dispose() => _watch?.Dispose();

    internal bool Expired(JobLease lease) => _enforced && _time.GetTimestamp() >= lease.Deadline;

    internal void Remove(JobLease lease) => _leases.TryRemove(new KeyValuePair<Guid, JobLease>(lease.JobId, lease));

    // One timer for all claims, due at the earliest deadline: claims granted later end later, so a claim rarely re-arms it.
    private void Watch(long deadline)
    {
        if (!_enforced || Interlocked.Read(ref _watchAt) <= deadline)
        {
            return;
        }

        lock (_watchLock)
        {
            if (_watchAt <= deadline)
            {
                return;
            }

            Interlocked.Exchange(ref _watchAt, deadline);
            var due = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            try
            {
                _watch!.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void OnWatch()
    {
        lock (_watchLock)
        {
            Interlocked.Exchange(ref _watchAt, long.MaxValue);
        }

        var next = long.MaxValue;
        foreach (var lease in _leases.Values)
        {
            if (lease.IsHeld) // a lease past its deadline is lost here, and its run's token fires
            {
                next = Math.Min(next, lease.Deadline);
            }
        }

        if (next != long.MaxValue)
        {
            Watch(next);
        }
    }
}
