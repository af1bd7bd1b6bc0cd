using JobTracking.Storage;
using Xunit;

namespace JobTracking.Testing;

/// <summary>The kit's tests of <see cref="IJobScheduleStore"/>: a store that does not implement it keeps no schedules, and these tests say so and are skipped.</summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>A schedule saved and read back (alone and in the list) has every field as given: text with NUL and any Unicode character exactly, times to the microsecond.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Schedules_SaveThenGet_RoundTripsEveryField()
    {
        await using var lease = await LeaseAsync();
        var schedules = Schedules(lease);
        var schedule = NewSchedule("nightly/ïmport ✓") with
        {
            Parameters = "{\"text\":\"  Ünïcödé 製品 \\u0000 <b>&amp; '; DROP TABLE schedules; --  \"}",
            DisplayName = "  Import « produits » \0 製品  ",
            ConcurrencyKey = " profile/42\0 ",
            Priority = -17,
            Misfire = JobScheduleMisfire.Skip,
            Overlap = JobScheduleOverlap.Queue,
            IsPaused = true,
            CreatedAt = T0.AddTicks(1_234_560),
            UpdatedAt = T0.AddTicks(9_876_540),
            LastOccurrence = T0.AddTicks(5_555_550),
            LastJobId = Guid.NewGuid(),
            NextOccurrence = T0.AddDays(1).AddTicks(10),
        };

        Assert.True(await schedules.TrySaveScheduleAsync(schedule));

        Assert.Equal(schedule, await schedules.GetScheduleAsync(schedule.Id));
        Assert.Equal(schedule, Assert.Single(await schedules.GetSchedulesAsync()));
        var bare = NewSchedule("bare");
        Assert.True(await schedules.TrySaveScheduleAsync(bare));
        Assert.Equal(bare, await schedules.GetScheduleAsync("bare"));
        Assert.Null(await schedules.GetScheduleAsync("missing"));
    }

    /// <summary>A save with version 1 creates the schedule only when no schedule has its id; the stored one is left as it was.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Schedules_CreateWhenTheIdIsHeld_IsRefused()
    {
        await using var lease = await LeaseAsync();
        var schedules = Schedules(lease);
        var first = NewSchedule("s");
        Assert.True(await schedules.TrySaveScheduleAsync(first));

        Assert.False(await schedules.TrySaveScheduleAsync(first with { Cron = "0 3 * * *" }));
        Assert.Equal(first, await schedules.GetScheduleAsync("s"));
    }

    /// <summary>A save with version n applies only when the stored schedule has version n − 1, replacing every field.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Schedules_Update_NeedsThePreviousVersion()
    {
        await using var lease = await LeaseAsync();
        var schedules = Schedules(lease);
        var v1 = NewSchedule("s");
        Assert.True(await schedules.TrySaveScheduleAsync(v1));
        var v2 = v1 with { Version = 2, Cron = "*/5 * * * *", IsPaused = true, LastJobId = Guid.NewGuid(), LastOccurrence = T0.AddMinutes(5), NextOccurrence = T0.AddMinutes(10), UpdatedAt = T0.AddMinutes(5) };

        Assert.False(await schedules.TrySaveScheduleAsync(v1 with { Version = 3 }), "a version that skips one is refused");
        Assert.True(await schedules.TrySaveScheduleAsync(v2));
        Assert.False(await schedules.TrySaveScheduleAsync(v2 with { Cron = "0 4 * * *" }), "a second save of version 2 is refused");
        Assert.False(await schedules.TrySaveScheduleAsync(v2 with { Id = "missing" }), "an update of a missing schedule is refused");
        Assert.Equal(v2, await schedules.GetScheduleAsync("s"));
        Assert.Null(await schedules.GetScheduleAsync("missing"));
    }

    /// <summary>Savers released together through a barrier, many rounds, each saving the next version (or each creating): exactly one wins, and its schedule is the one stored.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Schedules_RacingSavesReleasedTogether_ExactlyOneWins()
    {
        await using var lease = await LeaseAsync();
        var schedules = Schedules(lease);
        using var pool = new PoolGrowth(8);
        for (var round = 0; round < RaceRounds; round++)
        {
            var created = NewSchedule($"race-{round}");
            var creates = await RaceAsync(8, i => schedules.TrySaveScheduleAsync(created with { Cron = $"{i} * * * *" }).AsTask());
            Assert.Equal(1, creates.Count(w => w));
            var stored = (await schedules.GetScheduleAsync(created.Id))!;
            Assert.Equal($"{Array.IndexOf(creates, true)} * * * *", stored.Cron);

            var updates = await RaceAsync(8, i => schedules.TrySaveScheduleAsync(stored with { Version = 2, LastJobId = new Guid(i + 1, 0, 0, new byte[8]) }).AsTask());
            Assert.Equal(1, updates.Count(w => w));
            var updated = (await schedules.GetScheduleAsync(created.Id))!;
            Assert.Equal(2, updated.Version);
            Assert.Equal(new Guid(Array.IndexOf(updates, true) + 1, 0, 0, new byte[8]), updated.LastJobId);
        }
    }

    /// <summary>A delete applies only with the stored version; the schedule is gone afterwards, and its id free for a new one.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Schedules_Delete_NeedsTheVersion()
    {
        await using var lease = await LeaseAsync();
        var schedules = Schedules(lease);
        var v1 = NewSchedule("s");
        Assert.True(await schedules.TrySaveScheduleAsync(v1));
        Assert.True(await schedules.TrySaveScheduleAsync(v1 with { Version = 2 }));

        Assert.False(await schedules.TryDeleteScheduleAsync("s", 1));
        Assert.NotNull(await schedules.GetScheduleAsync("s"));
        Assert.True(await schedules.TryDeleteScheduleAsync("s", 2));
        Assert.Null(await schedules.GetScheduleAsync("s"));
        Assert.Empty(await schedules.GetSchedulesAsync());
        Assert.False(await schedules.TryDeleteScheduleAsync("s", 2));
        Assert.True(await schedules.TrySaveScheduleAsync(v1), "a deleted schedule's id can be created again");
    }

    /// <summary>The list is ordered by id, ordinally (case-sensitive, by UTF-16 code unit), whatever the order the schedules were saved in.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Schedules_List_IsOrderedByIdOrdinal()
    {
        await using var lease = await LeaseAsync();
        var schedules = Schedules(lease);
        string[] ids = ["b", "ä", "B", "a-2", "a", "_", "a10", "Z", "a1"];
        foreach (var id in ids)
        {
            Assert.True(await schedules.TrySaveScheduleAsync(NewSchedule(id)));
        }

        var listed = (await schedules.GetSchedulesAsync()).Select(s => s.Id).ToArray();
        Assert.Equal(ids.Order(StringComparer.Ordinal).ToArray(), listed);
    }

    /// <summary>An invalid schedule (no id, version 0) is refused with <see cref="ArgumentException"/> and nothing is stored.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Schedules_InvalidSchedule_ThrowsArgumentException()
    {
        await using var lease = await LeaseAsync();
        var schedules = Schedules(lease);

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await schedules.TrySaveScheduleAsync(NewSchedule("s") with { Version = 0 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await schedules.TrySaveScheduleAsync(NewSchedule("")));
        Assert.Empty(await schedules.GetSchedulesAsync());
    }

    private static IJobScheduleStore Schedules(StoreLease lease)
    {
        if (lease.Store is not IJobScheduleStore schedules)
        {
            Assert.Skip($"{lease.Store.GetType().Name} keeps no schedules (it does not implement IJobScheduleStore, an optional contract), so there is nothing to check.");
            throw new InvalidOperationException("Assert.Skip returned.");
        }

        return schedules;
    }

    private static JobScheduleRecord NewSchedule(string id) => new()
    {
        Id = id,
        Version = 1,
        TypeName = "import",
        Parameters = "{}",
        Cron = "0 2 * * *",
        TimeZone = "Europe/Paris",
        CreatedAt = T0,
        UpdatedAt = T0,
        NextOccurrence = T0.AddHours(1),
    };
}
