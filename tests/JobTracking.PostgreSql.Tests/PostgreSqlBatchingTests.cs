using JobTracking.PostgreSql;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>Writes made at the same time share statements; each caller still gets its own answer.</summary>
public sealed class PostgreSqlBatchingTests : IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private TestSchema? _schema;

    [Fact]
    public async Task ConcurrentCreates_AnotherJobWithAnId_FailsAlone_AndAJobSentAgainIsAnsweredAsStored()
    {
        await using var store = await OpenAsync();
        var jobs = Enumerable.Range(0, 200).Select(i => Job(i)).ToList();
        await store.CreateAsync(jobs[17] with { DisplayName = "another job with this id" });
        await store.CreateAsync(jobs[42]); // its create is sent again below, as after a lost answer

        var results = await Release(jobs.Select(job => (Func<Task>)(async () => await store.CreateAsync(job))).ToList());

        results.Where(r => r is not null).Should().ContainSingle().Which.Should().BeOfType<ArgumentException>()
            .Which.Message.Should().Contain(jobs[17].Id.ToString());
        results[42].Should().BeNull();
        foreach (var job in jobs)
        {
            (await store.GetAsync(job.Id)).Should().NotBeNull();
        }

        (await store.GetAsync(jobs[17].Id))!.DisplayName.Should().Be("another job with this id");
        var buffer = new JobChange[1000];
        var read = await store.ReadFeedAsync(0, buffer);
        buffer.Take(read.Count).Where(c => c.Kind == JobEventKind.Created).Select(c => c.JobId).Should().OnlyHaveUniqueItems().And.HaveCount(jobs.Count);
    }

    [Fact]
    public async Task ConcurrentTransitions_TwoPerJob_ExactlyOneWinsEach_AndTheFeedHasOneChangePerWin()
    {
        await using var store = await OpenAsync();
        var jobs = Enumerable.Range(0, 100).Select(i => Job(i)).ToList();
        await store.CreateManyAsync(jobs);
        var feedBefore = (await store.ReadFeedAsync(0, Array.Empty<JobChange>())).LatestSequence;
        var wins = new int[jobs.Count];
        var moves = new List<Func<Task>>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var index = i;
            foreach (var to in new[] { JobStatus.Paused, JobStatus.Cancelled })
            {
                moves.Add(async () =>
                {
                    if (await store.TryTransitionAsync(new JobTransition { JobId = jobs[index].Id, FromStatus = JobStatus.Queued, ExpectedVersion = 1, ToStatus = to, At = T0 }))
                    {
                        Interlocked.Increment(ref wins[index]);
                    }
                });
            }
        }

        (await Release(moves)).Should().AllSatisfy(e => e.Should().BeNull());
        wins.Should().AllSatisfy(w => w.Should().Be(1));
        var buffer = new JobChange[1000];
        var read = await store.ReadFeedAsync(feedBefore, buffer);
        read.Count.Should().Be(jobs.Count, "one change per applied move, none for a refused one");
        buffer.Take(read.Count).Select(c => c.JobId).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task ConcurrentJournalBatches_OfOneJob_AreNumberedWithoutGaps()
    {
        await using var store = await OpenAsync();
        var job = Job(0);
        await store.CreateAsync(job);
        var appends = Enumerable.Range(0, 50).Select(batch => (Func<Task>)(async () =>
        {
            var entries = Enumerable.Range(0, 10).Select(line => new JobJournalEntry
            {
                JobId = job.Id, Kind = JobJournalKind.Log, At = T0, Level = LogLevel.Information, Text = $"batch {batch} line {line}",
            }).ToList();
            (await store.AppendJournalAsync(entries)).Should().Be(10);
        })).ToList();

        (await Release(appends)).Should().AllSatisfy(e => e.Should().BeNull());
        var lines = new List<JobLogEntry>();
        string? token = null;
        do
        {
            var page = await store.ReadLogAsync(job.Id, new JournalQuery { PageSize = 200, PageToken = token });
            lines.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);

        lines.Select(l => l.Sequence).Should().Equal(Enumerable.Range(1, 500).Select(i => (long)i));
        foreach (var batch in lines.GroupBy(l => l.Message.Split(' ')[1]))
        {
            batch.Select(l => l.Message).Should().Equal(Enumerable.Range(0, 10).Select(line => $"batch {batch.Key} line {line}"), "a batch's lines keep their order");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }

    [Fact]
    public async Task Starts_AfterTheJobsTableGrew_LookUpTheirOwnIds_InsteadOfReadingTheWholeTable()
    {
        await using var store = await OpenAsync();

        // The store's statements are prepared: every write connection runs the start's statement more than five times
        // while the table is small, when a plan kept for good would read the table whole (it is cheap then).
        for (var i = 0; i < 60; i++)
        {
            await store.CreateAsync(Job(i));
        }

        await using var connection = new NpgsqlConnection(_schema!.ConnectionString);
        await connection.OpenAsync();
        await using (var grow = new NpgsqlCommand(
            $$"""
            INSERT INTO "{{_schema.Name}}".jobs (id, type_name, display_name, status, version, parameters, priority, created_at, attempt, progress_done, warning_count)
            SELECT gen_random_uuid(), 'batch', 'finished', 7, 3, '{}', 0, g, 1, 0, 0 FROM generate_series(1, 30000) g
            """, connection))
        {
            await grow.ExecuteNonQueryAsync();
        }

        var before = await StartStatementBlocksAsync(connection);
        for (var i = 0; i < 40; i++)
        {
            await store.CreateAsync(Job(100 + i));
        }

        var after = await StartStatementBlocksAsync(connection);
        var calls = after.Calls - before.Calls;
        calls.Should().BeGreaterThan(0);
        ((after.Blocks - before.Blocks) / calls).Should().BeLessThan(150, "a start of one job reads the pages its own row and indexes need (about 25), not the 30,000 jobs' (hundreds)");
    }

    // The server's count of runs of the one-by-one start statement on this schema, and the pages they read.
    private async Task<(long Calls, long Blocks)> StartStatementBlocksAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT COALESCE(sum(calls), 0)::bigint, COALESCE(sum(shared_blks_hit + shared_blks_read), 0)::bigint FROM pg_stat_statements " +
            "WHERE query LIKE 'WITH input AS%' AND query LIKE '%ON CONFLICT DO NOTHING%' AND strpos(query, $1) > 0", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = $"\"{_schema!.Name}\".jobs" });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private async Task<PostgreSqlJobStore> OpenAsync()
    {
        PostgresServer.Require();
        _schema = await PostgresServer.NewSchemaAsync();
        return await PostgreSqlJobStoreConformanceTests.OpenAsync(_schema, null);
    }

    private static JobRecord Job(int i) => new()
    {
        Id = Guid.NewGuid(), TypeName = "batch", DisplayName = $"job {i}", Status = JobStatus.Queued, Version = 1, Parameters = "{}", CreatedAt = T0.AddTicks(i),
    };

    /// <summary>Runs every action on its own thread, released together; returns each one's exception, or null.</summary>
    private static async Task<Exception?[]> Release(IReadOnlyList<Func<Task>> actions)
    {
        using var gate = new ManualResetEventSlim();
        var tasks = actions.Select(action => Task.Run(async () =>
        {
            gate.Wait();
            try
            {
                await action();
                return (Exception?)null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        })).ToList();
        gate.Set();
        return await Task.WhenAll(tasks);
    }
}
