using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Tests;

/// <summary>Recurring schedules on SQLite: every field round-trips, saves and deletes are compare-and-set on the version.</summary>
public sealed class SqliteScheduleStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task Save_EveryField_RoundTripsExactly_AndSurvivesReopening()
    {
        var schedule = new JobScheduleRecord
        {
            Id = "nightly\0import ✓",
            Version = 1,
            TypeName = "Import\0Job",
            Parameters = "{\"file\":\"a\\u0000b\"}",
            Cron = "0 2 * * *",
            TimeZone = "Europe/Paris",
            DisplayName = "Import « nuit »",
            Priority = -3,
            ConcurrencyKey = "imports",
            Misfire = JobScheduleMisfire.Skip,
            Overlap = JobScheduleOverlap.Queue,
            IsPaused = true,
            CreatedAt = T0.AddTicks(1),
            UpdatedAt = T0.AddTicks(2),
            LastOccurrence = T0.AddTicks(3),
            LastJobId = Guid.CreateVersion7(),
            NextOccurrence = T0.AddDays(1).AddTicks(4),
        };
        var bare = new JobScheduleRecord { Id = "a", Version = 1, TypeName = "t", Parameters = "", Cron = "* * * * *", TimeZone = "UTC", CreatedAt = T0, UpdatedAt = T0 };
        await using (var store = Open())
        {
            (await store.TrySaveScheduleAsync(schedule)).Should().BeTrue();
            (await store.TrySaveScheduleAsync(bare)).Should().BeTrue();
        }

        await using var reopened = Open();
        (await reopened.GetScheduleAsync(schedule.Id)).Should().Be(schedule);
        (await reopened.GetScheduleAsync("nightly")).Should().BeNull("an id is compared whole, past its NUL");
        (await reopened.GetSchedulesAsync()).Should().Equal(bare, schedule);
    }

    [Fact]
    public async Task Save_TwoRacingUpdatesOfOneVersion_ExactlyOneWins()
    {
        await using var store = Open();
        var created = Schedule("s", 1);
        (await store.TrySaveScheduleAsync(created)).Should().BeTrue();
        (await store.TrySaveScheduleAsync(created with { Cron = "again" })).Should().BeFalse("version 1 creates only when the id is free");

        for (var round = 2; round < 40; round++)
        {
            var left = Schedule("s", round) with { Cron = "left" };
            var right = Schedule("s", round) with { Cron = "right" };
            var results = await Task.WhenAll(Task.Run(async () => await store.TrySaveScheduleAsync(left)), Task.Run(async () => await store.TrySaveScheduleAsync(right)));

            results.Count(r => r).Should().Be(1);
            (await store.GetScheduleAsync("s"))!.Should().Be(results[0] ? left : right);
        }

        (await store.TrySaveScheduleAsync(Schedule("s", 41))).Should().BeFalse("the stored version is 39, not 40");
        (await store.TrySaveScheduleAsync(Schedule("missing", 2))).Should().BeFalse();
    }

    [Fact]
    public async Task Delete_OnlyAtTheExpectedVersion()
    {
        await using var store = Open();
        (await store.TrySaveScheduleAsync(Schedule("s", 1))).Should().BeTrue();
        (await store.TrySaveScheduleAsync(Schedule("s", 2))).Should().BeTrue();

        (await store.TryDeleteScheduleAsync("s", 1)).Should().BeFalse();
        (await store.GetScheduleAsync("s")).Should().NotBeNull();
        (await store.TryDeleteScheduleAsync("s", 2)).Should().BeTrue();
        (await store.GetScheduleAsync("s")).Should().BeNull();
        (await store.TryDeleteScheduleAsync("s", 2)).Should().BeFalse();
        (await store.TrySaveScheduleAsync(Schedule("s", 1))).Should().BeTrue("a deleted id is free again");
    }

    [Fact]
    public async Task Save_InvalidSchedule_IsRefusedBeforeTheStore()
    {
        await using var store = Open();
        await FluentActions.Awaiting(async () => await store.TrySaveScheduleAsync(Schedule("s", 0))).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(async () => await store.TrySaveScheduleAsync(Schedule(new string('x', JobScheduleRecord.MaxIdLength + 1), 1))).Should().ThrowAsync<ArgumentException>();
        (await store.GetSchedulesAsync()).Should().BeEmpty();
    }

    [Theory]
    [InlineData("misfire = 7", "misfire: 7")]
    [InlineData("is_paused = 'yes'", "is_paused: 'yes' is not an integer")]
    [InlineData("next_occurrence = -1", "next_occurrence: -1 is not a time")]
    [InlineData("last_job_id = x'0102'", "last_job_id")]
    [InlineData("version = 0", "version: 0 is not a version")]
    public async Task Read_MalformedRow_IsAClearErrorNamingTheScheduleAndTheColumn(string edit, string named)
    {
        await using var store = Open();
        (await store.TrySaveScheduleAsync(Schedule("broken", 1))).Should().BeTrue();
        using (var connection = new SqliteConnection($"{_database.ConnectionString};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"UPDATE job_schedules SET {edit} WHERE id = 'broken'";
            command.ExecuteNonQuery().Should().Be(1);
        }

        (await FluentActions.Awaiting(async () => await store.GetScheduleAsync("broken")).Should().ThrowExactlyAsync<JobTrackingException>())
            .Which.Message.Should().Contain("schedule 'broken'").And.Contain(named);
        await FluentActions.Awaiting(async () => await store.GetSchedulesAsync()).Should().ThrowExactlyAsync<JobTrackingException>();
    }

    public void Dispose() => _database.Dispose();

    private SqliteJobStore Open() => SqliteJobStores.Open(_database.ConnectionString);

    private static JobScheduleRecord Schedule(string id, long version) =>
        new() { Id = id, Version = version, TypeName = "t", Parameters = "{}", Cron = "* * * * *", TimeZone = "UTC", CreatedAt = T0, UpdatedAt = T0.AddSeconds(version) };
}
