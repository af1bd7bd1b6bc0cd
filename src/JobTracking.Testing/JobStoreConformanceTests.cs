using JobTracking.Storage;
using Microsoft.Extensions.Logging;
using Xunit;

namespace JobTracking.Testing;

/// <summary>
/// The store contract (<see cref="IJobStore"/>, <see cref="IJobJournalStore"/>, <see cref="IJobQueryStore"/>, <see cref="IJobFeedStore"/>) as xunit
/// tests. Derive a class from it in your test project, return a fresh, empty store from <see cref="CreateStoreAsync"/>,
/// and every test below runs against your store.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    /// <summary>Creates a fresh, empty store for one test; it implements the four store contracts.</summary>
    /// <param name="clock">The clock the store must read for leases; tests move it forward.</param>
    /// <returns>The store. If it implements <see cref="IAsyncDisposable"/> or <see cref="IDisposable"/>, the test disposes it.</returns>
    protected abstract ValueTask<IJobStore> CreateStoreAsync(TimeProvider clock);

    /// <summary>Opens a second store over the same backing store as <paramref name="first"/>, as a second process would; <see langword="null"/> when the store cannot be shared (the tests that need one then say so and pass).</summary>
    /// <param name="first">A store made by <see cref="CreateStoreAsync"/>.</param>
    /// <param name="clock">The clock the second store must read.</param>
    /// <returns>The second store, or <see langword="null"/>.</returns>
    protected virtual ValueTask<IJobStore?> CreateSecondInstanceAsync(IJobStore first, TimeProvider clock) => new((IJobStore?)null);

    /// <summary>Creating a job and reading it back returns every field as given, byte for byte.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Create_ThenGet_RoundTripsEveryField()
    {
        await using var lease = await LeaseAsync();
        var longText = string.Concat(Enumerable.Repeat("Ünïcödé 製品 \"quote\" 'x' <b>&amp; \r\n\t", 3000));
        var job = NewJob() with
        {
            DisplayName = "Import « produits » 製品 ✓ '; DROP TABLE jobs; --",
            Parameters = $"{{\"text\":{System.Text.Json.JsonSerializer.Serialize(longText)}}}",
            LaunchedBy = "émilie@example.com",
            Priority = -7,
            ConcurrencyKey = "profile/42",
            CreatedAt = T0.AddTicks(1234567),
        };

        await lease.Store.CreateAsync(job);
        var read = await lease.Store.GetAsync(job.Id);

        Assert.NotNull(read);
        Assert.Equal(job.Id, read.Id);
        Assert.Equal(job.TypeName, read.TypeName);
        Assert.Equal(job.DisplayName, read.DisplayName);
        Assert.Equal(job.Parameters, read.Parameters);
        Assert.Equal(job.LaunchedBy, read.LaunchedBy);
        Assert.Equal(job.Priority, read.Priority);
        Assert.Equal(job.ConcurrencyKey, read.ConcurrencyKey);
        Assert.Equal(job.CreatedAt, read.CreatedAt);
        Assert.Equal(JobStatus.Queued, read.Status);
        Assert.Equal(1, read.Version);
        Assert.Equal(1, read.Attempt);
        Assert.Null(read.StartedAt);
        Assert.Null(read.EndedAt);
        Assert.Null(read.Checkpoint);
        Assert.Null(read.Error);
        Assert.Empty(read.Steps);
    }

    /// <summary>Empty strings and absent values stay what they were.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Create_EmptyAndNullValues_RoundTrip()
    {
        await using var lease = await LeaseAsync();
        var job = NewJob() with { Status = JobStatus.Editing, Parameters = "", LaunchedBy = "", ConcurrencyKey = null };

        await lease.Store.CreateAsync(job);
        var read = await lease.Store.GetAsync(job.Id);

        Assert.NotNull(read);
        Assert.Equal(JobStatus.Editing, read.Status);
        Assert.Equal("", read.Parameters);
        Assert.Equal("", read.LaunchedBy);
        Assert.Null(read.ConcurrencyKey);
    }

    /// <summary>A second job with the same id, or a new job in a status other than Editing or Queued, is refused.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Create_DuplicateIdOrWrongStatus_IsRefused()
    {
        await using var lease = await LeaseAsync();
        var job = NewJob();
        await lease.Store.CreateAsync(job);

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await lease.Store.CreateAsync(job with { DisplayName = "again" }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await lease.Store.CreateAsync(NewJob() with { Status = JobStatus.Running }));
        Assert.Equal("test job", (await lease.Store.GetAsync(job.Id))!.DisplayName);
    }

    /// <summary>An unknown id reads as null and cannot be moved.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task UnknownJob_ReadsNullAndCannotMove()
    {
        await using var lease = await LeaseAsync();
        var id = Guid.NewGuid();

        Assert.Null(await lease.Store.GetAsync(id));
        Assert.False(await lease.Store.TryTransitionAsync(Move(id, JobStatus.Queued, 1, JobStatus.Paused)));
    }

    /// <summary>A transition applies its documented side effects and raises the version by one.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Transition_AppliesFieldsAndRaisesVersion()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);

        var running = await ClaimOneAsync(store, job.Id, "node-a", T0.AddMinutes(1));
        Assert.Equal(JobStatus.Running, running.Status);
        Assert.Equal(2, running.Version);
        Assert.Equal("node-a", running.Node);
        Assert.Equal(T0.AddMinutes(1), running.StartedAt);

        var error = new JobError { Type = "System.InvalidOperationException", Message = "boom ✗", StackTrace = "at Somewhere()\n  at Else()" };
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, 2, JobStatus.Failed, T0.AddMinutes(2)) with
        {
            Error = error,
            HasCheckpoint = true,
            Checkpoint = "{\"row\":17}",
        }));
        var failed = (await store.GetAsync(job.Id))!;
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Equal(3, failed.Version);
        Assert.Equal(T0.AddMinutes(2), failed.EndedAt);
        Assert.Equal(error, failed.Error);
        Assert.Equal("{\"row\":17}", failed.Checkpoint);

        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Failed, 3, JobStatus.Queued, T0.AddMinutes(3)) with { IsNewAttempt = true }));
        var restarted = (await store.GetAsync(job.Id))!;
        Assert.Equal(2, restarted.Attempt);
        Assert.Null(restarted.EndedAt);
        Assert.Null(restarted.StartedAt);
        Assert.Null(restarted.Error);
        Assert.Equal("{\"row\":17}", restarted.Checkpoint);
    }

    /// <summary>A stale version or a status that moved on loses; nothing changes.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Transition_StaleVersionOrStatus_Loses()
    {
        await using var lease = await LeaseAsync();
        var job = NewJob();
        await lease.Store.CreateAsync(job);

        Assert.False(await lease.Store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 7, JobStatus.Paused)));
        Assert.False(await lease.Store.TryTransitionAsync(Move(job.Id, JobStatus.Paused, 1, JobStatus.Queued)));
        var read = (await lease.Store.GetAsync(job.Id))!;
        Assert.Equal(JobStatus.Queued, read.Status);
        Assert.Equal(1, read.Version);
    }

    /// <summary>A move the lifecycle does not allow is refused with an exception; nothing changes.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Transition_IllegalMove_Throws()
    {
        await using var lease = await LeaseAsync();
        var job = NewJob();
        await lease.Store.CreateAsync(job);

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await lease.Store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 1, JobStatus.Completed)));
        Assert.Equal(JobStatus.Queued, (await lease.Store.GetAsync(job.Id))!.Status);
    }

    /// <summary>Of many writers racing the same compare-and-set, exactly one wins.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Transition_RacingWriters_ExactlyOneWins()
    {
        await using var lease = await LeaseAsync();
        var job = NewJob();
        await lease.Store.CreateAsync(job);

        var wins = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
            await lease.Store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 1, i % 2 == 0 ? JobStatus.Paused : JobStatus.Cancelled)))));

        Assert.Single(wins, won => won);
        Assert.Equal(2, (await lease.Store.GetAsync(job.Id))!.Version);
    }

    /// <summary>Claims take the highest priority first, then the oldest, and never more than asked.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Claim_HighestPriorityThenOldest_UpToMaxCount()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var low = NewJob() with { Priority = -1, CreatedAt = T0 };
        var first = NewJob() with { CreatedAt = T0.AddSeconds(1) };
        var second = NewJob() with { CreatedAt = T0.AddSeconds(2) };
        var high = NewJob() with { Priority = 5, CreatedAt = T0.AddSeconds(3) };
        foreach (var job in new[] { low, first, second, high })
        {
            await store.CreateAsync(job);
        }

        var batch = await store.ClaimAsync(Claim("n", 3, T0));

        Assert.Equal([high.Id, first.Id, second.Id], batch.Select(j => j.Id));
        Assert.All(batch, j => Assert.Equal(JobStatus.Running, j.Status));
        Assert.Equal(JobStatus.Queued, (await store.GetAsync(low.Id))!.Status);
    }

    /// <summary>Type limits cap how many of a type one claim takes; other types are still claimed.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Claim_TypeLimits_CapEachType()
    {
        await using var lease = await LeaseAsync();
        for (var i = 0; i < 4; i++)
        {
            await lease.Store.CreateAsync(NewJob() with { TypeName = "capped", CreatedAt = T0.AddSeconds(i) });
        }

        await lease.Store.CreateAsync(NewJob() with { TypeName = "free", CreatedAt = T0.AddSeconds(10) });
        await lease.Store.CreateAsync(NewJob() with { TypeName = "blocked", CreatedAt = T0.AddSeconds(11) });

        var batch = await lease.Store.ClaimAsync(new JobClaimRequest
        {
            InstanceId = "instance-n",
            LeaseDuration = Lease,
            Node = "n",
            MaxCount = 10,
            At = T0,
            TypeLimits = new Dictionary<string, int> { ["capped"] = 2, ["blocked"] = 0 },
        });

        Assert.Equal(2, batch.Count(j => j.TypeName == "capped"));
        Assert.Single(batch, j => j.TypeName == "free");
        Assert.DoesNotContain(batch, j => j.TypeName == "blocked");
    }

    /// <summary>A job whose concurrency key is held by an active job waits until that job ends, then is claimed.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Claim_ConcurrencyKeyHeld_WaitsForTheHolderToEnd()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var holder = NewJob() with { ConcurrencyKey = "k", CreatedAt = T0 };
        var waiter = NewJob() with { ConcurrencyKey = "k", CreatedAt = T0.AddSeconds(1) };
        var other = NewJob() with { ConcurrencyKey = "other", CreatedAt = T0.AddSeconds(2) };
        await store.CreateAsync(holder);
        await store.CreateAsync(waiter);
        await store.CreateAsync(other);

        var first = await store.ClaimAsync(Claim("n", 10, T0));
        Assert.Equal([holder.Id, other.Id], first.Select(j => j.Id));
        Assert.Empty(await store.ClaimAsync(Claim("n", 10, T0)));

        Assert.True(await store.TryTransitionAsync(Move(holder.Id, JobStatus.Running, 2, JobStatus.Completed)));
        var second = await store.ClaimAsync(Claim("n", 10, T0));
        Assert.Equal([waiter.Id], second.Select(j => j.Id));
    }

    /// <summary>Held, cancelled and draft jobs are not claimed; a held job queued again is.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Claim_SkipsJobsThatLeftTheQueue()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var held = NewJob() with { CreatedAt = T0 };
        var cancelled = NewJob() with { CreatedAt = T0.AddSeconds(1) };
        var draft = NewJob() with { Status = JobStatus.Editing, CreatedAt = T0.AddSeconds(2) };
        foreach (var job in new[] { held, cancelled, draft })
        {
            await store.CreateAsync(job);
        }

        Assert.True(await store.TryTransitionAsync(Move(held.Id, JobStatus.Queued, 1, JobStatus.Paused)));
        Assert.True(await store.TryTransitionAsync(Move(cancelled.Id, JobStatus.Queued, 1, JobStatus.Cancelled)));
        Assert.Empty(await store.ClaimAsync(Claim("n", 10, T0)));

        Assert.True(await store.TryTransitionAsync(Move(held.Id, JobStatus.Paused, 2, JobStatus.Queued)));
        var batch = await store.ClaimAsync(Claim("n", 10, T0));
        Assert.Equal([held.Id], batch.Select(j => j.Id));
        Assert.Equal(4, batch[0].Version);
    }

    /// <summary>Many claimers at once never get the same job, and together get every job.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Claim_ConcurrentClaimers_NeverShareAJob()
    {
        await using var lease = await LeaseAsync();
        const int jobs = 300;
        for (var i = 0; i < jobs; i++)
        {
            await lease.Store.CreateAsync(NewJob() with { CreatedAt = T0.AddMilliseconds(i) });
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var mine = new List<Guid>();
            while (true)
            {
                var batch = await lease.Store.ClaimAsync(Claim($"node-{worker}", 1 + (worker % 5), T0));
                if (batch.Count == 0)
                {
                    return mine;
                }

                mine.AddRange(batch.Select(j => j.Id));
            }
        })));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(jobs, all.Count);
        Assert.Equal(jobs, all.Distinct().Count());
    }

    /// <summary>A checkpoint and a report are stored without changing the status or version.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task CheckpointAndReport_RoundTripWithoutMovingTheJob()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);
        await ClaimOneAsync(store, job.Id, "n", T0);
        var steps = new List<JobStep>
        {
            new() { Name = "read ✓", Status = JobStepStatus.Completed, StartedAt = T0, EndedAt = T0.AddSeconds(3), Read = 10, Written = 0, Skipped = 1, Warnings = 2 },
            new() { Name = "write", Status = JobStepStatus.Running, StartedAt = T0.AddSeconds(3), Written = 4 },
            new() { Name = "report", Status = JobStepStatus.Pending },
        };

        Assert.True(await store.SaveProgressAsync(new JobProgressUpdate
        {
            JobId = job.Id,
            Report = new JobReport { Progress = new JobProgress(5, 12), Steps = steps, WarningCount = 3 },
            HasCheckpoint = true,
            Checkpoint = "{\"next\":\"é\"}",
        }));
        var read = (await store.GetAsync(job.Id))!;

        Assert.Equal("{\"next\":\"é\"}", read.Checkpoint);
        Assert.Equal(new JobProgress(5, 12), read.Progress);
        Assert.Equal(3, read.WarningCount);
        Assert.Equal(steps, read.Steps);
        Assert.Equal(JobStatus.Running, read.Status);
        Assert.Equal(2, read.Version);

        Assert.True(await store.SaveProgressAsync(new JobProgressUpdate { JobId = job.Id, Report = new JobReport { Progress = new JobProgress(7, null), Steps = [], WarningCount = 0 } }));
        Assert.Equal(new JobProgress(7, null), (await store.GetAsync(job.Id))!.Progress);
    }

    /// <summary>A draft's parameters change only while it is a draft with the expected version.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task UpdateDraft_OnlyDraftsWithTheExpectedVersion()
    {
        await using var lease = await LeaseAsync();
        var draft = NewJob() with { Status = JobStatus.Editing };
        await lease.Store.CreateAsync(draft);

        Assert.False(await lease.Store.TryUpdateDraftAsync(draft.Id, 5, "{}", "x"));
        Assert.True(await lease.Store.TryUpdateDraftAsync(draft.Id, 1, "{\"a\":1}", "Renamed"));
        var read = (await lease.Store.GetAsync(draft.Id))!;
        Assert.Equal(("{\"a\":1}", "Renamed", 2L), (read.Parameters, read.DisplayName, read.Version));

        Assert.True(await lease.Store.TryTransitionAsync(Move(draft.Id, JobStatus.Editing, 2, JobStatus.Queued)));
        Assert.False(await lease.Store.TryUpdateDraftAsync(draft.Id, 3, "{}", "late"));
    }

    /// <summary>Builds a queued job with defaults; tests change what they need with <c>with</c>.</summary>
    /// <returns>A new job in status Queued, version 1.</returns>
    protected static JobRecord NewJob() => new()
    {
        Id = Guid.NewGuid(),
        TypeName = "conformance",
        DisplayName = "test job",
        Status = JobStatus.Queued,
        Version = 1,
        Parameters = "{}",
        CreatedAt = T0,
    };

    private static JobTransition Move(Guid id, JobStatus from, long version, JobStatus to, DateTimeOffset? at = null) => new()
    {
        JobId = id,
        FromStatus = from,
        ExpectedVersion = version,
        ToStatus = to,
        At = at ?? T0,
        Node = "n",
    };

    private static JobJournalEntry Log(Guid id, LogLevel level, string message) =>
        new() { JobId = id, Kind = JobJournalKind.Log, At = T0, Level = level, Text = message };

    private static JobJournalEntry Reject(Guid id, long number, string raw, string reason) =>
        new() { JobId = id, Kind = JobJournalKind.Reject, At = T0, Level = LogLevel.Warning, Text = raw, RecordNumber = number, Reason = reason };

    private static async Task<JobRecord> ClaimOneAsync(IJobStore store, Guid id, string node, DateTimeOffset at)
    {
        var batch = await store.ClaimAsync(Claim(node, 1, at));
        Assert.Single(batch);
        Assert.Equal(id, batch[0].Id);
        return batch[0];
    }

    private static async Task<Guid> FinishAsync(IJobStore store, JobRecord job, JobStatus end, DateTimeOffset at)
    {
        await store.CreateAsync(job);
        var running = await ClaimOneAsync(store, job.Id, "n", at);
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, end, at)));
        return job.Id;
    }

    private static async Task<List<Guid>> IdsAsync(IJobStore store, JobQuery query) =>
        [.. (await Q(store).QueryAsync(query)).Items.Select(j => j.Id)];

    private static async Task<List<JobLogEntry>> ReadAllLogAsync(IJobStore store, Guid id, JournalQuery query)
    {
        var all = new List<JobLogEntry>();
        do
        {
            var page = await J(store).ReadLogAsync(id, query);
            all.AddRange(page.Items);
            query = query with { PageToken = page.NextPageToken };
        }
        while (query.PageToken is not null);

        return all;
    }

    private async Task<StoreLease> LeaseAsync()
    {
        var clock = new KitClock(T0);
        return new(await CreateStoreAsync(clock), clock);
    }

    private static JobClaimRequest Claim(string node, int count, DateTimeOffset at, string? instance = null) =>
        new() { InstanceId = instance ?? "instance-" + node, Node = node, MaxCount = count, At = at, LeaseDuration = Lease };

    private static IJobJournalStore J(IJobStore store) =>
        store as IJobJournalStore ?? throw new InvalidOperationException($"{store.GetType().Name} does not implement IJobJournalStore; a store implements all four contracts.");

    private static IJobQueryStore Q(IJobStore store) =>
        store as IJobQueryStore ?? throw new InvalidOperationException($"{store.GetType().Name} does not implement IJobQueryStore; a store implements all four contracts.");

    /// <summary>Disposes the store when the test ends, if it is disposable.</summary>
    private sealed class StoreLease(IJobStore store, KitClock clock) : IAsyncDisposable
    {
        public IJobStore Store { get; } = store;

        public KitClock Clock { get; } = clock;

        public async ValueTask DisposeAsync()
        {
            switch (Store)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }
}
