namespace JobTracking.Testing;

/// <summary>A clock the conformance kit moves by hand, handed to the store under test for its leases.</summary>
internal sealed class KitClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
