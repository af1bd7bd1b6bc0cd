using JobTracking.Control;
using Microsoft.Extensions.Logging;

namespace JobTracking.Ownership;

/// <summary>
/// One claim the store granted this instance, held from the moment it was granted until the run that uses it ends or
/// loses it. Every write of the run asks <see cref="IsHeld"/> first, so nothing of a lost or dropped claim leaves the node.
/// </summary>
/// <remarks>
/// On a store other processes share, the lease is also a deadline on this node's monotonic clock: the store dated the
/// lease at some moment after the claim or renewal was sent, so the lease cannot end before <c>sent + LeaseDuration</c>
/// by the store's clock; the node stops at <c>sent + LeaseDuration - margin</c> by its own (see <see cref="ClaimRegistry"/>),
/// whether the store refused a renewal or did not answer at all.
/// </remarks>
internal sealed class JobLease
{
    private const int HeldState = 0;
    private const int LostState = 1;
    private const int EndedState = 2;

    private readonly ClaimRegistry _registry;
    private long _deadline;
    private int _state;
    private int _storingOutcome;
    private CancellationTokenSource? _lost;
    private JobRun? _run;

    public JobLease(ClaimRegistry registry, Guid jobId, string typeName, Guid claimId, long fencingToken, long deadline)
    {
        _registry = registry;
        JobId = jobId;
        TypeName = typeName;
        ClaimId = claimId;
        FencingToken = fencingToken;
        _deadline = deadline;
    }

    public Guid JobId { get; }

    public string TypeName { get; }

    public Guid ClaimId { get; }

    /// <summary>Gets the job's version when the store granted the claim: it only grows from one claim of a job to the next.</summary>
    public long FencingToken { get; }

    /// <summary>Gets the end of the lease on this node's monotonic clock (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long Deadline => Interlocked.Read(ref _deadline);

    /// <summary>Gets whether the claim is still this instance's to write with: not lost, not ended, and (on a shared store) its deadline not passed; a passed deadline marks it lost here.</summary>
    public bool IsHeld
    {
        get
        {
            if (Volatile.Read(ref _state) != HeldState)
            {
                return false;
            }

            if (_registry.Expired(this))
            {
                Lose("its lease ran out on this node before a renewal succeeded");
                return false;
            }

            return true;
        }
    }

    /// <summary>Gets whether the run is storing the status that ends it: once that commits the job has no claim, so a renewal that misses it says nothing about ownership.</summary>
    public bool IsStoringOutcome => Volatile.Read(ref _storingOutcome) != 0;

    /// <summary>Gets a token that fires when the claim is lost; made on first use (a retry that must stop with the lease).</summary>
    public CancellationToken LostToken
    {
        get
        {
            var lost = LazyInitializer.EnsureInitialized(ref _lost);
            if (Volatile.Read(ref _state) == LostState)
            {
                lost.Cancel();
            }

            return lost.Token;
        }
    }

    public void BeginStoringOutcome() => Volatile.Write(ref _storingOutcome, 1);

    /// <summary>Moves the deadline to <paramref name="deadline"/> if that is later and the claim is still held.</summary>
    public void Extend(long deadline)
    {
        var current = Interlocked.Read(ref _deadline);
        while (deadline > current && Volatile.Read(ref _state) == HeldState)
        {
            var seen = Interlocked.CompareExchange(ref _deadline, deadline, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Gives the run that uses this claim its lease: a loss from now on fires the run's token (at once if the claim is already lost).</summary>
    public void Attach(JobRun run)
    {
        Volatile.Write(ref _run, run);
        if (Volatile.Read(ref _state) == LostState)
        {
            run.FireCancellation();
        }
    }

    /// <summary>Records that the claim is no longer this instance's; logs it once and fires the run's token.</summary>
    /// <returns><see langword="true"/> for the call that lost it.</returns>
    public bool Lose(string reason, bool log = true)
    {
        if (Interlocked.CompareExchange(ref _state, LostState, HeldState) != HeldState)
        {
            return false;
        }

        _registry.Remove(this);
        if (log)
        {
            Log.OwnershipLost(_registry.Logger, JobId, TypeName, reason);
        }

        CancelLost();
        Volatile.Read(ref _run)?.FireCancellation();
        return true;
    }

    /// <summary>Records that the run using the claim ended (its resting status stored, or nothing to store): the claim is no longer renewed.</summary>
    public void End()
    {
        if (Interlocked.CompareExchange(ref _state, EndedState, HeldState) == HeldState)
        {
            _registry.Remove(this);
        }

        CancelLost(); // nothing waits on it any more; a retry still holding it stops
    }

    private void CancelLost()
    {
        if (Volatile.Read(ref _lost) is { } lost)
        {
            try
            {
                lost.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
