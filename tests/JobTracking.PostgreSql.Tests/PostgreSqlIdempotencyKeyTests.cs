using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>Idempotency keys on PostgreSQL: racing creates with one key from several store objects store one job, batches honour keys per job, and a key no longer held is taken over.</summary>
[Trait("Category", "PostgreSql")]
public sealed class PostgreSqlIdempotencyKeyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThousandConcurrentCreates_WithOneKey_FromThreeStores_StoreOneJob_AndAllReturnItsId()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var stores = new List<PostgreSqlJobStore>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                stores.Add(await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, null));
            }

            var jobs = Enumerable.Range(0, 1000).Select(i => PostgreSqlRunAfterTests.Job($"start #{i}") with { IdempotencyKey = "import:2026-03-04\0" }).ToArray();
            using var start = new Barrier(3);
            var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(s => Task.Run(async () =>
            {
                start.SignalAndWait(Token);
                return await Task.WhenAll(jobs.Where((_, i) => i % 3 == s).Select(j => stores[s].CreateAsync(j, Token).AsTask()));
            })));

            var ids = results.SelectMany(r => r).ToArray();
            ids.Should().HaveCount(1000);
            var winner = ids.Distinct().Should().ContainSingle("every create returns the one job stored").Which;
            jobs.Select(j => j.Id).Should().Contain(winner);
            (await CountRowsAsync(schema, "jobs")).Should().Be(1);
            (await stores[1].CountAsync(Token)).Should().ContainSingle().Which.Count.Should().Be(1, "the counts saw one job");
            (await OverlappingCommitsTests.ReadAllAsync(stores[2], 0)).Select(c => c.JobId).Should().Equal([winner], "one creation is recorded");
            (await stores[0].GetAsync(winner, Token))!.IdempotencyKey.Should().Be("import:2026-03-04\0");
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task KeyNoLongerHeld_IsTakenOver_TheFormerHolderKeepsItsVersion_AndNothingIsRecordedForIt()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var clock = new FakeTimeProvider(T0);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, clock);
        var first = PostgreSqlRunAfterTests.Job("first") with { IdempotencyKey = "k", IdempotentUntil = T0.AddMinutes(10) };
        await store.CreateAsync(first, Token);
        var claimed = (await store.ClaimAsync(PostgreSqlRunAfterTests.Claim(1), Token)).Single();
        (await store.TryTransitionAsync(new JobTransition { JobId = first.Id, FromStatus = JobStatus.Running, ExpectedVersion = 2, ToStatus = JobStatus.Completed, At = T0, ClaimId = claimed.ClaimId }, Token)).Should().BeTrue();

        var second = PostgreSqlRunAfterTests.Job("second") with { IdempotencyKey = "k" };
        (await store.CreateAsync(second, Token)).Should().Be(first.Id, "the finished job holds its key until its idempotent-until time");
        clock.Advance(TimeSpan.FromMinutes(10));
        (await store.CreateAsync(second, Token)).Should().Be(second.Id, "at its idempotent-until time the key is free");
        (await store.CreateAsync(second, Token)).Should().Be(second.Id, "sent again, the create finds its own job");

        var former = (await store.GetAsync(first.Id, Token))!;
        (former.IdempotencyKey, former.Version, former.IdempotentUntil).Should().Be((null, 3L, T0.AddMinutes(10)));
        (await OverlappingCommitsTests.ReadAllAsync(store, 0)).Select(c => (c.JobId, c.Version)).Should().Equal([(first.Id, 1L), (first.Id, 2L), (first.Id, 3L), (second.Id, 1L)]);
    }

    [Fact]
    public async Task CreateMany_HonoursKeysPerJob_AndIsRecognisedWhenSentAgain()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        await using var store = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, new FakeTimeProvider(T0));
        var holder = PostgreSqlRunAfterTests.Job("holder") with { IdempotencyKey = "held" };
        await store.CreateAsync(holder, Token);

        JobRecord[] batch =
        [
            PostgreSqlRunAfterTests.Job("a") with { IdempotencyKey = "new" },
            PostgreSqlRunAfterTests.Job("b") with { IdempotencyKey = "held" },
            PostgreSqlRunAfterTests.Job("c"),
            PostgreSqlRunAfterTests.Job("d") with { IdempotencyKey = "new" },
        ];
        Guid[] expected = [batch[0].Id, holder.Id, batch[2].Id, batch[0].Id];
        (await store.CreateManyAsync(batch, Token)).Should().Equal(expected);
        (await CountRowsAsync(schema, "jobs")).Should().Be(3);
        (await store.CreateManyAsync(batch, Token)).Should().Equal(expected, "the batch sent again finds the jobs it stored, and the holders of the others' keys");
        (await CountRowsAsync(schema, "jobs")).Should().Be(3);
        (await OverlappingCommitsTests.ReadAllAsync(store, 0)).Select(c => c.JobId).Should().Equal([holder.Id, batch[0].Id, batch[2].Id]);

        // A batch one of whose jobs exists while another, unkeyed, does not is not a batch sent again.
        var partly = new[] { batch[2], PostgreSqlRunAfterTests.Job("e") };
        await FluentActions.Awaiting(() => store.CreateManyAsync(partly, Token).AsTask()).Should().ThrowAsync<ArgumentException>().WithMessage("*stored already*");
        (await CountRowsAsync(schema, "jobs")).Should().Be(3);
    }

    private static async Task<long> CountRowsAsync(TestSchema schema, string table)
    {
        await using var connection = new NpgsqlConnection(schema.ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        return (long)(await command.ExecuteScalarAsync(Token))!;
    }
}
