namespace JobTracking.Tests;

/// <summary>Job and claim ids are the GUIDs <see cref="Guid.NewGuid"/> and <see cref="Guid.CreateVersion7(DateTimeOffset)"/> make, and never repeat.</summary>
public sealed class RandomIdsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 8, 1, 2, 3, TimeSpan.FromHours(1));

    [Fact]
    public void NewGuid_IsARandomGuidOfVersion4()
    {
        var id = RandomIds.NewGuid();

        id.Version.Should().Be(4);
        (id.Variant & 0xC).Should().Be(0x8, "the variant of RFC 9562");
        id.Should().NotBe(RandomIds.NewGuid());
    }

    [Fact]
    public void NewVersion7_CarriesTheTimeToTheMillisecond_AsGuidCreateVersion7Does()
    {
        var id = RandomIds.NewVersion7(T0.AddTicks(12_345));

        id.Version.Should().Be(7);
        (id.Variant & 0xC).Should().Be(0x8);
        id.ToByteArray(bigEndian: true)[..6].Should().Equal(Guid.CreateVersion7(T0.AddTicks(12_345)).ToByteArray(bigEndian: true)[..6]);
    }

    [Fact]
    public void NewVersion7_OfLaterTimes_SortAfter()
    {
        var ids = Enumerable.Range(0, 100).Select(i => RandomIds.NewVersion7(T0.AddMilliseconds(i))).ToList();

        ids.Should().BeInAscendingOrder();
    }

    [Fact]
    public void NewVersion7_BeforeNineteenSeventy_IsRefused()
    {
        var act = () => RandomIds.NewVersion7(DateTimeOffset.UnixEpoch.AddMilliseconds(-1));

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("timestamp");
    }

    [Fact]
    public async Task Ids_MadeOnManyThreadsAtOnce_NeverRepeat()
    {
        // Each thread reads its own buffer of random bytes; several buffers' worth per thread, all in the same millisecond.
        using var gate = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(
            () =>
            {
                gate.Wait();
                var made = new List<Guid>(60_000);
                for (var i = 0; i < 30_000; i++)
                {
                    made.Add(RandomIds.NewGuid());
                    made.Add(RandomIds.NewVersion7(T0));
                }

                return made;
            },
            TaskCreationOptions.LongRunning)).ToList();
        gate.Set();

        var all = (await Task.WhenAll(tasks)).SelectMany(ids => ids).ToList();

        all.Should().HaveCount(240_000).And.OnlyHaveUniqueItems();
    }
}
