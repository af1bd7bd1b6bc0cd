using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>Schedules on PostgreSQL: exact round-trips, ordinal order, and compare-and-set between two store objects on one schema.</summary>
[Trait("Category", "PostgreSql")]
public sealed class PostgreSqlScheduleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Schedule_RoundTripsEveryField_TextExactly_AndListsInOrdinalOrder()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null);
        var full = Schedule("nightly\0import") with
        {
            Parameters = "{\"path\":\"a\\u0000b\"}\0",
            Cron = "0 30 2 * * *",
            TimeZone = "Europe/Paris",
            DisplayName = "Import \u0001 de nuit 製品",
            Priority = -3,
            ConcurrencyKey = "imports\0",
            Misfire = JobScheduleMisfire.Skip,
            Overlap = JobScheduleOverlap.Queue,
            IsPaused = true,
            UpdatedAt = T0.AddTicks(10),
            LastOccurrence = T0.AddHours(-1),
            LastJobId = Guid.CreateVersion7(),
            NextOccurrence = T0.AddDays(1).AddTicks(20),
        };
        string[] others = ["Zulu", "alpha", "\U0001F600 emoji", "\uFF21 wide", "nightly"];
        (await store.TrySaveScheduleAsync(full, Token)).Should().BeTrue();
        foreach (var id in others)
        {
            (await store.TrySaveScheduleAsync(Schedule(id), Token)).Should().BeTrue();
        }

        (await store.GetScheduleAsync("nightly\0import", Token)).Should().Be(full);
        (await store.GetScheduleAsync("nightly", Token))!.Id.Should().Be("nightly", "an id that is a prefix of another is its own schedule");
        (await store.GetScheduleAsync("NIGHTLY", Token)).Should().BeNull("ids are case-sensitive");
        (await store.GetSchedulesAsync(Token)).Select(s => s.Id).Should().Equal(
            others.Append(full.Id).Order(StringComparer.Ordinal), "schedules are listed by id, ordinally (UTF-16 order: U+1F600 before U+FF21)");
    }

    [Fact]
    public async Task RacingSaves_FromTwoStores_ExactlyOneWins_ForACreate_AnUpdate_AndADelete()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using var a = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null);
        await using var b = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null);
        for (var round = 0; round < 20; round++)
        {
            var id = $"schedule-{round}";
            var created = await RaceAsync(a.TrySaveScheduleAsync(Schedule(id) with { Cron = "1 * * * *" }, Token), b.TrySaveScheduleAsync(Schedule(id) with { Cron = "2 * * * *" }, Token));
            created.Count(won => won).Should().Be(1, $"one of two creates of '{id}' wins");
            var stored = (await b.GetScheduleAsync(id, Token))!;
            stored.Cron.Should().Be(created[0] ? "1 * * * *" : "2 * * * *", "the winner's schedule is stored");

            var updated = await RaceAsync(
                a.TrySaveScheduleAsync(stored with { Version = 2, IsPaused = true }, Token), b.TrySaveScheduleAsync(stored with { Version = 2, Priority = 7 }, Token));
            updated.Count(won => won).Should().Be(1, $"one of two updates of '{id}' from version 1 wins");
            (await a.GetScheduleAsync(id, Token)).Should().Be(updated[0] ? stored with { Version = 2, IsPaused = true } : stored with { Version = 2, Priority = 7 });

            (await a.TrySaveScheduleAsync(stored with { Version = 2 }, Token)).Should().BeFalse("the stored schedule has version 2 now");
            (await a.TryDeleteScheduleAsync(id, 1, Token)).Should().BeFalse("a delete names the version it read");
            var deleted = await RaceAsync(a.TryDeleteScheduleAsync(id, 2, Token), b.TryDeleteScheduleAsync(id, 2, Token));
            deleted.Count(won => won).Should().Be(1);
            (await a.GetScheduleAsync(id, Token)).Should().BeNull();
        }
    }

    [Theory]
    [InlineData("misfire = 9", "misfire")]
    [InlineData("overlap = -1", "overlap")]
    [InlineData("version = 0", "version")]
    [InlineData("cron = E'\\x01a\\x01q'", "cron")]
    public async Task CorruptScheduleRow_IsAClearErrorNamingTheScheduleAndTheColumn(string edit, string column)
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null);
        await store.TrySaveScheduleAsync(Schedule("edited"), Token);
        await using (var connection = new NpgsqlConnection(schema.ConnectionString))
        {
            await connection.OpenAsync(Token);
            await OverlappingCommitsTests.ExecuteAsync(connection, null, $"UPDATE job_schedules SET {edit}");
        }

        (await FluentActions.Awaiting(() => store.GetScheduleAsync("edited", Token).AsTask()).Should().ThrowExactlyAsync<JobTrackingException>())
            .Which.Message.Should().Contain("schedule 'edited'").And.Contain(column + ":");
        await FluentActions.Awaiting(() => store.GetSchedulesAsync(Token).AsTask()).Should().ThrowExactlyAsync<JobTrackingException>();
    }

    private static JobScheduleRecord Schedule(string id) => new()
    {
        Id = id,
        Version = 1,
        TypeName = "import",
        Parameters = "{}",
        Cron = "0 * * * *",
        TimeZone = "UTC",
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    private static async Task<bool[]> RaceAsync(ValueTask<bool> first, ValueTask<bool> second) => await Task.WhenAll(first.AsTask(), second.AsTask());
}
