using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace JobTracking.Sqlite.Tests;

/// <summary>What the SQLite store does beyond the conformance kit: exact round-trips, queue order, group commit, closing, indexes.</summary>
public sealed class SqliteJobStoreTests(ITestOutputHelper output) : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task Text_OddCharacters_RoundTripByteForByte()
    {
        await using var lease = Open();
        var store = lease.Store;
        var odd = "nul\0inside, ünïcödé 製品 😀, \"quotes\", 'single', <b>&amp;</b>, \r\n\t, '; DROP TABLE jobs; --" + new string('é', 100_000);
        var job = Job() with { DisplayName = odd, Parameters = odd, LaunchedBy = "", ConcurrencyKey = odd, CreatedAt = T0.AddTicks(7) };
        await store.CreateAsync(job);
        await store.SaveCheckpointAsync(job.Id, odd);
        await store.AppendJournalAsync([
            new JobJournalEntry { JobId = job.Id, Kind = JobJournalKind.Log, At = T0.AddTicks(1), Level = LogLevel.Error, Text = odd },
            new JobJournalEntry { JobId = job.Id, Kind = JobJournalKind.Reject, At = T0.AddTicks(2), Text = "", RecordNumber = long.MaxValue, Reason = odd },
        ]);

        await lease.DisposeAsync();
        await using var reopened = Open();
        var read = (await reopened.Store.GetAsync(job.Id))!;

        read.DisplayName.Should().Be(odd);
        read.Parameters.Should().Be(odd);
        read.ConcurrencyKey.Should().Be(odd);
        read.Checkpoint.Should().Be(odd);
        read.LaunchedBy.Should().Be("");
        read.Node.Should().BeNull();
        read.CreatedAt.Should().Be(T0.AddTicks(7));
        read.CreatedAt.Offset.Should().Be(TimeSpan.Zero);
        var line = (await reopened.Store.ReadLogAsync(job.Id, new JournalQuery())).Items.Single();
        (line.Message, line.Level, line.At).Should().Be((odd, LogLevel.Error, T0.AddTicks(1)));
        var reject = (await reopened.Store.ReadRejectsAsync(job.Id, new JournalQuery())).Items.Single();
        (reject.RawRecord, reject.Reason, reject.RecordNumber, reject.At).Should().Be(("", odd, long.MaxValue, T0.AddTicks(2)));
    }

    [Fact]
    public async Task Times_WithAnOffset_ComeBackAsTheSameInstantInUtc()
    {
        await using var lease = Open();
        var local = new DateTimeOffset(2026, 3, 4, 7, 6, 7, TimeSpan.FromHours(2)).AddTicks(3);
        var job = Job() with { CreatedAt = local };
        await lease.Store.CreateAsync(job);

        var read = (await lease.Store.GetAsync(job.Id))!;

        read.CreatedAt.Should().Be(local);
        read.CreatedAt.UtcTicks.Should().Be(local.UtcTicks);
    }

    [Fact]
    public async Task Claim_ResumedJob_GoesToTheBackOfItsPriority()
    {
        await using var lease = Open();
        var store = lease.Store;
        var first = Job() with { CreatedAt = T0 };
        var second = Job() with { CreatedAt = T0.AddSeconds(1) };
        var urgent = Job() with { CreatedAt = T0.AddSeconds(2), Priority = 5 };
        await store.CreateAsync(first);
        await store.CreateAsync(second);
        await store.CreateAsync(urgent);
        (await store.TryTransitionAsync(Move(first.Id, JobStatus.Queued, 1, JobStatus.Paused))).Should().BeTrue();
        (await store.TryTransitionAsync(Move(first.Id, JobStatus.Paused, 2, JobStatus.Queued))).Should().BeTrue();

        var claimed = await store.ClaimAsync(new JobClaimRequest { Node = "n", MaxCount = 10, At = T0 });

        claimed.Select(j => j.Id).Should().Equal(urgent.Id, second.Id, first.Id);
    }

    [Fact]
    public async Task Claim_QueueOrder_SurvivesReopening()
    {
        var ids = new List<Guid>();
        await using (var lease = Open())
        {
            for (var i = 0; i < 5; i++)
            {
                var job = Job() with { CreatedAt = T0.AddSeconds(-i) }; // queue order, not creation time, decides
                ids.Add(job.Id);
                await lease.Store.CreateAsync(job);
            }
        }

        await using var reopened = Open();
        var late = Job();
        await reopened.Store.CreateAsync(late);
        var claimed = await reopened.Store.ClaimAsync(new JobClaimRequest { Node = "n", MaxCount = 10, At = T0 });

        claimed.Select(j => j.Id).Should().Equal([.. ids, late.Id]);
    }

    [Fact]
    public async Task Claim_ManyJobsOfOneHeldKey_StillFindsTheOthersQuickly()
    {
        await using var lease = Open();
        var store = lease.Store;
        var holder = Job() with { ConcurrencyKey = "profile/1" };
        await store.CreateAsync(holder);
        (await store.ClaimAsync(new JobClaimRequest { Node = "n", MaxCount = 1, At = T0 })).Should().ContainSingle();
        for (var i = 0; i < 500; i++)
        {
            await store.CreateAsync(Job() with { ConcurrencyKey = "profile/1", Priority = 1 });
        }

        var free = Enumerable.Range(0, 3).Select(i => Job() with { ConcurrencyKey = i == 0 ? null : $"other/{i}" }).ToList();
        foreach (var job in free)
        {
            await store.CreateAsync(job);
        }

        var claimed = await store.ClaimAsync(new JobClaimRequest { Node = "n", MaxCount = 10, At = T0, TypeLimits = new Dictionary<string, int> { ["t"] = 2 } });

        claimed.Select(j => j.Id).Should().Equal(free[0].Id, free[1].Id);
    }

    [Fact]
    public async Task ConcurrentWrites_OneFailing_LeaveTheOthersStored()
    {
        await using var lease = Open();
        var store = lease.Store;
        var existing = Job();
        await store.CreateAsync(existing);

        var jobs = Enumerable.Range(0, 200).Select(_ => Job()).ToList();
        var writes = jobs.Select(j => Task.Run(async () => await store.CreateAsync(j))).ToList();
        var duplicate = Task.Run(async () => await store.CreateAsync(existing with { DisplayName = "duplicate" }));
        var journal = Task.Run(async () => await store.AppendJournalAsync(
            [.. Enumerable.Range(0, 100).Select(i => new JobJournalEntry { JobId = existing.Id, Kind = JobJournalKind.Log, At = T0, Text = $"line {i}" })]));

        await Task.WhenAll(writes);
        await journal;
        await FluentActions.Awaiting(() => duplicate).Should().ThrowAsync<ArgumentException>();

        foreach (var job in jobs)
        {
            (await store.GetAsync(job.Id)).Should().NotBeNull();
        }

        (await store.GetAsync(existing.Id))!.DisplayName.Should().Be("test job");
        (await store.ReadLogAsync(existing.Id, new JournalQuery { PageSize = 1000 })).Items.Select(l => l.Sequence).Should().Equal(Enumerable.Range(1, 100).Select(i => (long)i));
    }

    [Fact]
    public async Task Journal_ConcurrentAppendsForOneJob_NumberEveryEntryOnce()
    {
        await using var lease = Open();
        var job = Job();
        await lease.Store.CreateAsync(job);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(batch => Task.Run(async () =>
            await lease.Store.AppendJournalAsync([.. Enumerable.Range(0, 50).Select(i => new JobJournalEntry
            {
                JobId = job.Id,
                Kind = i % 2 == 0 ? JobJournalKind.Log : JobJournalKind.Reject,
                At = T0,
                Text = $"{batch}/{i}",
                Reason = "r",
            })]))));

        var log = await lease.Store.ReadLogAsync(job.Id, new JournalQuery { PageSize = 10_000 });
        var rejects = await lease.Store.ReadRejectsAsync(job.Id, new JournalQuery { PageSize = 10_000 });
        log.Items.Select(l => l.Sequence).Should().Equal(Enumerable.Range(1, 500).Select(i => (long)i));
        rejects.Items.Select(r => r.Sequence).Should().Equal(Enumerable.Range(1, 500).Select(i => (long)i));
        log.Items.Select(l => l.Message).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Calls_AfterDispose_Throw()
    {
        var lease = Open();
        await lease.DisposeAsync();
        await lease.DisposeAsync(); // twice is harmless

        await FluentActions.Awaiting(async () => await lease.Store.CreateAsync(Job())).Should().ThrowAsync<ObjectDisposedException>();
        await FluentActions.Awaiting(async () => await lease.Store.GetAsync(Guid.NewGuid())).Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task Write_CancelledBeforeItRuns_IsNotStored()
    {
        await using var lease = Open();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var job = Job();

        await FluentActions.Awaiting(async () => await lease.Store.CreateAsync(job, cancelled.Token)).Should().ThrowAsync<OperationCanceledException>();

        (await lease.Store.GetAsync(job.Id)).Should().BeNull();
    }

    [Fact]
    public async Task Open_NewFile_CreatesTheSchemaInWalMode()
    {
        await using (Open())
        {
        }

        using var connection = new SqliteConnection($"Data Source={_database.Path_};Pooling=False");
        connection.Open();
        Scalar(connection, "PRAGMA journal_mode").Should().Be("wal");
        Scalar(connection, "SELECT version FROM schema_version").Should().Be(1L);
        Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_jobs_%'").Should().Be(6L);
    }

    [Fact]
    [Trait("Category", "Sqlite")]
    public async Task Query_ListPageOverManyJobs_TakesMilliseconds()
    {
        const int Rows = 200_000;
        await using (Open())
        {
        }

        FillJobs(_database.Path_, Rows);
        await using var lease = Open();
        var queries = new JobQuery[]
        {
            new(),
            new() { Statuses = [JobStatus.Completed] },
            new() { Statuses = [JobStatus.Failed, JobStatus.Cancelled] },
            new() { TypeName = "type-3" },
            new() { LaunchedBy = "user-7", PageSize = 10 },
            new() { CreatedFrom = T0.AddSeconds(Rows / 2), CreatedTo = T0.AddSeconds(Rows / 2 + 600) },
        };

        foreach (var query in queries)
        {
            var page = await lease.Store.QueryAsync(query);
            var started = TimeProvider.System.GetTimestamp();
            for (var i = 0; i < 5 && page.NextPageToken is { } next; i++)
            {
                page = await lease.Store.QueryAsync(query with { PageToken = next });
            }

            var perPage = TimeProvider.System.GetElapsedTime(started) / 5;
            output.WriteLine($"{Describe(query),-40} {perPage.TotalMilliseconds:0.00} ms a page over {Rows} jobs");
            page.Items.Should().NotBeEmpty();
            perPage.Should().BeLessThan(TimeSpan.FromMilliseconds(50), $"{Describe(query)} reads an index range, not every job");
        }
    }

    public void Dispose() => _database.Dispose();

    private static string Describe(JobQuery q) =>
        q.Statuses.Count > 0 ? $"statuses {string.Join('+', q.Statuses)}" : q.TypeName ?? q.LaunchedBy ?? (q.CreatedFrom is null ? "no filter" : "date range");

    private static void FillJobs(string path, int rows)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO jobs (id, type_name, display_name, status, version, parameters, launched_by, priority, created_at, attempt, progress_done, warning_count) " +
            "VALUES (@id, @type, @name, @status, 1, '{}', @by, 0, @created, 1, 0, 0)";
        var id = insert.Parameters.Add("@id", SqliteType.Blob);
        var type = insert.Parameters.Add("@type", SqliteType.Text);
        var name = insert.Parameters.Add("@name", SqliteType.Text);
        var status = insert.Parameters.Add("@status", SqliteType.Integer);
        var by = insert.Parameters.Add("@by", SqliteType.Text);
        var created = insert.Parameters.Add("@created", SqliteType.Integer);
        for (var i = 0; i < rows; i++)
        {
            id.Value = Guid.NewGuid().ToByteArray(bigEndian: true);
            type.Value = $"type-{i % 10}";
            name.Value = $"job {i}";
            status.Value = i % 20 == 0 ? (int)JobStatus.Failed : i % 50 == 1 ? (int)JobStatus.Cancelled : (int)JobStatus.Completed;
            by.Value = $"user-{i % 13}";
            created.Value = T0.AddSeconds(i).UtcTicks;
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static JobRecord Job() => new()
    {
        Id = Guid.NewGuid(),
        TypeName = "t",
        DisplayName = "test job",
        Status = JobStatus.Queued,
        Version = 1,
        Parameters = "{}",
        CreatedAt = T0,
    };

    private static JobTransition Move(Guid id, JobStatus from, long version, JobStatus to) =>
        new() { JobId = id, FromStatus = from, ExpectedVersion = version, ToStatus = to, At = T0, Node = "n" };

    private StoreLease Open() => new(SqliteJobStores.Open(_database.ConnectionString));

    private sealed class StoreLease(IJobStore store) : IAsyncDisposable
    {
        public IJobStore Store { get; } = store;

        public ValueTask DisposeAsync() => ((IAsyncDisposable)Store).DisposeAsync();
    }
}
