namespace JobTracking.Scheduling;

/// <summary>
/// How many jobs the feeder claims ahead of its free workers: as many as the workers finish while one claim is on its
/// way (measured, twice over for the spread), and never more than <see cref="JobTrackingOptions.ClaimPrefetch"/>.
/// </summary>
/// <remarks>
/// Jobs of a few milliseconds then never leave a worker waiting for a claim's round trip, and jobs of seconds are not
/// claimed ahead at all, so a node never holds many queued jobs away from the other nodes of a shared store: a job claimed
/// ahead waits here about one claim's round trip. Only the feeder calls it; the release count comes from every worker.
/// </remarks>
internal sealed class PrefetchEstimate(TimeProvider time, int max)
{
    private long _released;
    private long _releasedAtLast;
    private long _lastTimestamp = time.GetTimestamp();
    private double _jobsPerSecond;
    private double _claimSeconds;

    /// <summary>Gets how many jobs to claim ahead now.</summary>
    public int Target { get; private set; }

    /// <summary>Counts a job whose code returned (its worker free for the next).</summary>
    public void Released() => Interlocked.Increment(ref _released);

    /// <summary>Records a claim that took from <paramref name="startTimestamp"/> until now, and updates <see cref="Target"/>.</summary>
    public void Claimed(long startTimestamp)
    {
        if (max == 0)
        {
            return;
        }

        var now = time.GetTimestamp();
        var claim = time.GetElapsedTime(startTimestamp, now).TotalSeconds;
        var elapsed = time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        if (elapsed <= 0)
        {
            return;
        }

        var released = Interlocked.Read(ref _released);
        var rate = (released - _releasedAtLast) / elapsed;
        (_releasedAtLast, _lastTimestamp) = (released, now);

        // Smoothed over a few claims, so one slow claim or one burst does not swing it.
        _jobsPerSecond = (_jobsPerSecond + rate) / 2;
        _claimSeconds = (_claimSeconds + claim) / 2;
        // Rounded to the nearest job, not down: the smoothed rate nears what the workers did from below, so a floor would
        // keep a feeder that claims one job per claim at one for ever (the doubling that finds more room would never act).
        Target = (int)Math.Min(max, Math.Round(_jobsPerSecond * _claimSeconds * 2, MidpointRounding.AwayFromZero));
    }
}
