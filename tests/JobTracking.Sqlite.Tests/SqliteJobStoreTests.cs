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
        (await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 1, JobStatus.Paused) with { HasCheckpoint = true, Checkpoint = odd })).Should().BeTrue();
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
    public async Task Attempts_FailedThenRestarted_SurviveReopening()
    {
        var error = new JobError { Type = "System.IO.IOException", Message = "disk \0 full ✗", StackTrace = null };
        var job = Job();
        await using (var lease = Open())
        {
            var store = lease.Store;
            await store.CreateAsync(job);
            var running = (await store.ClaimAsync(Claim(1))).Single();
            (await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Failed) with { At = T0.AddMinutes(1), Error = error, ClaimId = running.ClaimId })).Should().BeTrue();
            (await store.TryTransitionAsync(Move(job.Id, JobStatus.Failed, running.Version + 1, JobStatus.Queued) with { At = T0.AddMinutes(2), IsNewAttempt = true })).Should().BeTrue();
        }

        await using var reopened = Open();
        var read = (await reopened.Store.GetAsync(job.Id))!;

        read.Attempt.Should().Be(2);
        read.PreviousAttempts.Should().Equal(new JobAttempt { Number = 1, StartedAt = T0, EndedAt = T0.AddMinutes(1), Status = JobStatus.Failed, Error = error });
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

        var claimed = await store.ClaimAsync(Claim(10));

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
        var claimed = await reopened.Store.ClaimAsync(Claim(10));

        claimed.Select(j => j.Id).Should().Equal([.. ids, late.Id]);
    }

    [Fact]
    public async Task Claim_ManyJobsOfOneHeldKey_StillFindsTheOthersQuickly()
    {
        await using var lease = Open();
        var store = lease.Store;
        var holder = Job() with { ConcurrencyKey = "profile/1" };
        await store.CreateAsync(holder);
        (await store.ClaimAsync(Claim(1))).Should().ContainSingle();
        for (var i = 0; i < 500; i++)
        {
            await store.CreateAsync(Job() with { ConcurrencyKey = "profile/1", Priority = 1 });
        }

        var free = Enumerable.Range(0, 3).Select(i => Job() with { ConcurrencyKey = i == 0 ? null : $"other/{i}" }).ToList();
        foreach (var job in free)
        {
            await store.CreateAsync(job);
        }

        var claimed = await store.ClaimAsync(new JobClaimRequest
        {
            InstanceId = "i",
            Node = "n",
            MaxCount = 10,
            At = T0,
            LeaseDuration = TimeSpan.FromMinutes(1),
            TypeLimits = new Dictionary<string, int> { ["t"] = 2 },
        });

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
    public async Task Journal_TextWithNulAndOneMegabyteText_RoundTrip()
    {
        await using var lease = Open();
        var job = Job();
        await lease.Store.CreateAsync(job);
        var nul = "before\0after\0\0end";
        var big = string.Create(1 << 20, 0, static (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = i % 1000 == 0 ? '\0' : (char)('a' + (i % 26));
            }
        });

        var stored = await lease.Store.AppendJournalAsync([
            new JobJournalEntry { JobId = job.Id, Kind = JobJournalKind.Log, At = T0, Level = LogLevel.Warning, Text = nul },
            new JobJournalEntry { JobId = job.Id, Kind = JobJournalKind.Log, At = T0, Level = LogLevel.Warning, Text = big },
            new JobJournalEntry { JobId = job.Id, Kind = JobJournalKind.Reject, At = T0, Text = big, RecordNumber = 1, Reason = nul },
        ]);

        stored.Should().Be(3);
        var log = (await lease.Store.ReadLogAsync(job.Id, new JournalQuery())).Items;
        log.Select(l => l.Message).Should().Equal(nul, big);
        var reject = (await lease.Store.ReadRejectsAsync(job.Id, new JournalQuery())).Items.Single();
        (reject.RawRecord == big, reject.Reason).Should().Be((true, nul));
    }

    [Fact]
    public async Task Journal_BatchThatFails_StoresNothingOfItAndLeavesTheOtherWritesOfItsCommit()
    {
        await using var lease = Open();
        var store = lease.Store;
        var job = Job();
        await store.CreateAsync(job);
        JobJournalEntry Line(string text) => new() { JobId = job.Id, Kind = JobJournalKind.Log, At = T0, Text = text };

        // Many writes in flight at once, so the failing batch shares its group commit with others.
        var others = Enumerable.Range(0, 50).Select(i => Task.Run(async () => await store.AppendJournalAsync([Line($"other {i}")]))).ToList();
        var creates = Enumerable.Range(0, 50).Select(_ => Job()).ToList();
        var created = creates.Select(j => Task.Run(async () => await store.CreateAsync(j))).ToList();
        var poisoned = Task.Run(async () => await store.AppendJournalAsync([Line("poisoned 1"), Line("poisoned 2"), Line(null!)]));

        await FluentActions.Awaiting(() => poisoned).Should().ThrowAsync<SqliteException>();
        (await Task.WhenAll(others)).Should().AllBeEquivalentTo(1);
        await Task.WhenAll(created);

        var log = (await store.ReadLogAsync(job.Id, new JournalQuery { PageSize = 1000 })).Items;
        log.Select(l => l.Message).Should().BeEquivalentTo(Enumerable.Range(0, 50).Select(i => $"other {i}"), "nothing of the failed batch is stored");
        log.Select(l => l.Sequence).Should().Equal(Enumerable.Range(1, 50).Select(i => (long)i));
        foreach (var j in creates)
        {
            (await store.GetAsync(j.Id)).Should().NotBeNull();
        }
    }

    [Fact]
    public async Task Purge_HonoursMaxCountAndAStrictCutOff()
    {
        await using var lease = Open();
        var store = lease.Store;
        var ended = new List<JobRecord>();
        for (var i = 0; i < 5; i++)
        {
            var job = Job();
            await store.CreateAsync(job);
            (await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 1, JobStatus.Cancelled) with { At = T0.AddSeconds(i) })).Should().BeTrue();
            await store.AppendJournalAsync([new JobJournalEntry { JobId = job.Id, Kind = JobJournalKind.Log, At = T0, Text = "x" }]);
            ended.Add(job);
        }

        var queued = Job();
        await store.CreateAsync(queued);
        var cut = T0.AddSeconds(3); // jobs 0, 1 and 2 ended before it; job 3 ended exactly then

        (await store.PurgeAsync(cut, maxCount: 2)).Should().Be(2);
        (await store.PurgeAsync(cut, maxCount: 2)).Should().Be(1);
        (await store.PurgeAsync(cut, maxCount: 2)).Should().Be(0);

        for (var i = 0; i < 5; i++)
        {
            var gone = i < 3;
            ((await store.GetAsync(ended[i].Id)) is null).Should().Be(gone, $"job {i} ended at +{i} s, cut-off +3 s");
            (await store.ReadLogAsync(ended[i].Id, new JournalQuery())).Items.Should().HaveCount(gone ? 0 : 1);
        }

        (await store.GetAsync(queued.Id)).Should().NotBeNull("an unfinished job is never purged");
    }

    [Fact]
    public async Task Count_GroupsByTypeAndStatus()
    {
        await using var lease = Open();
        var store = lease.Store;
        foreach (var (type, status) in new[] { ("a", JobStatus.Queued), ("a", JobStatus.Queued), ("a", JobStatus.Editing), ("b", JobStatus.Queued) })
        {
            await store.CreateAsync(Job() with { TypeName = type, Status = status });
        }

        var counts = await store.CountAsync();

        counts.Select(c => (c.TypeName, c.Status, c.Count)).Should().BeEquivalentTo(new[]
        {
            ("a", JobStatus.Queued, 2L),
            ("a", JobStatus.Editing, 1L),
            ("b", JobStatus.Queued, 1L),
        });
    }

    [Fact]
    public async Task Count_AfterEveryKindOfChange_MatchesTheJobs()
    {
        await using var lease = Open();
        var store = lease.Store;
        var jobs = Enumerable.Range(0, 40).Select(i => Job() with { TypeName = $"type-{i % 3}", Status = i % 10 == 0 ? JobStatus.Editing : JobStatus.Queued }).ToList();
        foreach (var job in jobs)
        {
            await store.CreateAsync(job);
        }

        var claimed = await store.ClaimAsync(Claim(20));
        foreach (var job in claimed.Take(10))
        {
            (await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, job.Version, JobStatus.Completed) with { ClaimId = job.ClaimId, At = T0 })).Should().BeTrue();
        }

        (await store.TryTransitionAsync(Move(claimed[10].Id, JobStatus.Running, claimed[10].Version, JobStatus.Cancelling))).Should().BeTrue();
        (await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "other", At = T0, IncludeLiveLeases = true })).Should().HaveCount(10);
        (await store.TryTransitionAsync(Move(jobs[0].Id, JobStatus.Editing, 1, JobStatus.Queued))).Should().BeTrue();
        (await store.TryUpdateDraftAsync(jobs[10].Id, 1, "{}", "renamed")).Should().BeTrue();
        (await store.PurgeAsync(T0.AddSeconds(1), maxCount: 5)).Should().Be(5);

        var counts = await store.CountAsync();

        counts.Select(c => (c.TypeName, c.Status, c.Count)).Should().BeEquivalentTo(
            (await AllJobsAsync(store)).GroupBy(j => (j.TypeName, j.Status)).Select(g => (g.Key.TypeName, g.Key.Status, (long)g.Count())));
        counts.Should().OnlyContain(c => c.Count > 0, "a type and status with no job left is not listed");
    }

    [Fact]
    public async Task IsTransient_FileBusyWithAnotherWriter_IsTrue()
    {
        await using var lease = Open(new SqliteJobStoreOptions { BusyTimeout = TimeSpan.FromSeconds(1) });
        using var other = new SqliteConnection($"Data Source={_database.Path_};Pooling=False");
        other.Open();
        Scalar(other, "BEGIN EXCLUSIVE");

        var busy = await FluentActions.Awaiting(async () => await lease.Store.CreateAsync(Job())).Should().ThrowAsync<SqliteException>();

        lease.Store.IsTransient(busy.Which).Should().BeTrue($"SQLite error {busy.Which.SqliteErrorCode} means the file was busy");
        Scalar(other, "ROLLBACK");
        await lease.Store.CreateAsync(Job()); // the same call goes through once the other writer is gone
    }

    [Theory]
    [InlineData(5, 5, true)]        // SQLITE_BUSY
    [InlineData(5, 261, true)]      // SQLITE_BUSY_RECOVERY
    [InlineData(5, 517, true)]      // SQLITE_BUSY_SNAPSHOT
    [InlineData(6, 6, true)]        // SQLITE_LOCKED
    [InlineData(6, 262, true)]      // SQLITE_LOCKED_SHAREDCACHE
    [InlineData(19, 2067, false)]   // SQLITE_CONSTRAINT_UNIQUE
    [InlineData(13, 13, true)]      // SQLITE_FULL: a full disk passes
    [InlineData(10, 266, false)]    // SQLITE_IOERR_READ
    [InlineData(11, 11, false)]     // SQLITE_CORRUPT
    public async Task IsTransient_BySqliteErrorCode(int code, int extendedCode, bool transient)
    {
        await using var lease = Open();

        lease.Store.IsTransient(new SqliteException("x", code, extendedCode)).Should().Be(transient);
    }

    [Fact]
    public async Task IsTransient_OtherExceptions_IsFalse()
    {
        await using var lease = Open();

        lease.Store.IsTransient(new TimeoutException()).Should().BeFalse();
        lease.Store.IsTransient(new ObjectDisposedException("store")).Should().BeFalse();
        lease.Store.IsTransient(new InvalidOperationException("busy", new SqliteException("x", 5))).Should().BeFalse();
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
        Scalar(connection, "SELECT version FROM schema_version").Should().Be((long)Storage.SqliteSchema.CurrentVersion);
        Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_jobs_%'").Should().Be(7L);
        Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'ux_jobs_idempotency_key'").Should().Be(1L);
        Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'job_schedules'").Should().Be(1L);
        Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tr_jobs_counted_%'").Should().Be(3L);
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

        var counted = TimeProvider.System.GetTimestamp();
        var counts = await lease.Store.CountAsync();
        var countTime = TimeProvider.System.GetElapsedTime(counted);
        output.WriteLine($"{"counts by type and status",-40} {countTime.TotalMilliseconds:0.00} ms over {Rows} jobs");
        counts.Sum(c => c.Count).Should().Be(Rows);
        countTime.Should().BeLessThan(TimeSpan.FromMilliseconds(50), "the counts are kept as jobs change, not counted on each call");

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

    private static async Task<List<JobRecord>> AllJobsAsync(SqliteJobStore store)
    {
        var all = new List<JobRecord>();
        string? token = null;
        do
        {
            var page = await store.QueryAsync(new JobQuery { PageSize = JobQuery.MaxPageSize, PageToken = token });
            all.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);

        return all;
    }

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

    private static JobClaimRequest Claim(int maxCount) =>
        new() { InstanceId = "i", Node = "n", MaxCount = maxCount, At = T0, LeaseDuration = TimeSpan.FromMinutes(1) };

    private static JobTransition Move(Guid id, JobStatus from, long version, JobStatus to) =>
        new() { JobId = id, FromStatus = from, ExpectedVersion = version, ToStatus = to, At = T0, Node = "n" };

    private StoreLease Open(SqliteJobStoreOptions? options = null) => new(SqliteJobStores.Open(_database.ConnectionString, options));

    private sealed class StoreLease(SqliteJobStore store) : IAsyncDisposable
    {
        public SqliteJobStore Store { get; } = store;

        public ValueTask DisposeAsync() => Store.DisposeAsync();
    }
}
