namespace JobTracking.Tests;

/// <summary>A job record keeps its times compactly: each must read back as it was set, offset included.</summary>
public sealed class JobRecordTests
{
    private static readonly DateTimeOffset Created = new(2026, 12, 7, 18, 0, 0, TimeSpan.FromHours(5.5));

    [Fact]
    public void Times_SetWithOffsets_ReadBackWithTheirOffsets()
    {
        var runAfter = new DateTimeOffset(2026, 12, 8, 1, 2, 3, TimeSpan.FromHours(-8)).AddTicks(7);
        var until = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.FromMinutes(45));
        var started = new DateTimeOffset(2026, 12, 7, 18, 0, 1, TimeSpan.Zero);
        var ended = new DateTimeOffset(2026, 12, 7, 19, 0, 1, TimeSpan.FromHours(14));

        var job = New() with { RunAfter = runAfter, IdempotentUntil = until, StartedAt = started, EndedAt = ended, Timeout = TimeSpan.FromTicks(12345) };

        Exactly(job.CreatedAt).Should().Be(Exactly(Created));
        Exactly(job.RunAfter!.Value).Should().Be(Exactly(runAfter));
        Exactly(job.IdempotentUntil!.Value).Should().Be(Exactly(until));
        Exactly(job.StartedAt!.Value).Should().Be(Exactly(started));
        Exactly(job.EndedAt!.Value).Should().Be(Exactly(ended));
        job.Timeout.Should().Be(TimeSpan.FromTicks(12345));
    }

    [Fact]
    public void Times_NotSetOrSetToEdges_ReadBackAsSet()
    {
        var job = New();
        job.RunAfter.Should().BeNull();
        job.IdempotentUntil.Should().BeNull();
        job.StartedAt.Should().BeNull();
        job.EndedAt.Should().BeNull();
        job.Timeout.Should().BeNull();

        var edges = job with { CreatedAt = DateTimeOffset.MinValue, RunAfter = DateTimeOffset.MinValue, EndedAt = DateTimeOffset.MaxValue, Timeout = TimeSpan.Zero };
        Exactly(edges.CreatedAt).Should().Be(Exactly(DateTimeOffset.MinValue));
        Exactly(edges.RunAfter!.Value).Should().Be(Exactly(DateTimeOffset.MinValue));
        Exactly(edges.EndedAt!.Value).Should().Be(Exactly(DateTimeOffset.MaxValue));
        edges.Timeout.Should().Be(TimeSpan.Zero);

        var cleared = edges with { RunAfter = null, EndedAt = null, Timeout = null };
        cleared.RunAfter.Should().BeNull();
        cleared.EndedAt.Should().BeNull();
        cleared.Timeout.Should().BeNull();
    }

    [Fact]
    public void Equals_SameInstantsAtOtherOffsets_EqualAsDateTimeOffsetsAre()
    {
        var job = New() with { StartedAt = Created };
        var sameInstants = job with { CreatedAt = Created.ToUniversalTime(), StartedAt = Created.ToOffset(TimeSpan.FromHours(-3)) };
        var later = job with { StartedAt = Created.AddTicks(1) };

        sameInstants.Should().Be(job);
        sameInstants.GetHashCode().Should().Be(job.GetHashCode());
        later.Should().NotBe(job);
        (job with { Timeout = TimeSpan.Zero }).Should().NotBe(job, "no timeout differs from a timeout of zero");
    }

    private static (long UtcTicks, TimeSpan Offset) Exactly(DateTimeOffset time) => (time.UtcTicks, time.Offset);

    private static JobRecord New() => NewJobs.Queued(Created);
}
