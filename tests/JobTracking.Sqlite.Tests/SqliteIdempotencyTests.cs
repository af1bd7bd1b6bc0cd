using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Sqlite.Tests;

/// <summary>Idempotency keys on SQLite: one job per key however many creates race, keys taken from jobs that no longer hold them, batches per item.</summary>
public sealed class SqliteIdempotencyTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private readonly TempDatabase _database = new();
    private readonly FakeTimeProvider _clock = new(T0);

    [Fact]
    public async Task Create_ThousandConcurrentWithOneKey_StoresOneJob_AndAllReturnItsId()
    {
        await using var store = Open();
        var jobs = Enumerable.Range(0, 1000).Select(i => Job($"job {i}") with { IdempotencyKey = "import/2026-03-04" }).ToList();
        var start = (await store.ReadFeedAsync(0, Memory<JobChange>.Empty)).LatestSequence;

        var ids = await Task.WhenAll(jobs.Select(j => Task.Run(async () => await store.CreateAsync(j))));

        ids.Distinct().Should().ContainSingle();
        var stored = (await store.GetAsync(ids[0]))!;
        stored.IdempotencyKey.Should().Be("import/2026-03-04");
        jobs.Select(j => j.Id).Should().Contain(ids[0]);
        (await store.CountAsync()).Sum(c => c.Count).Should().Be(1);
        var feed = new JobChange[10];
        (await store.ReadFeedAsync(start, feed)).Count.Should().Be(1, "only the stored job was recorded");
    }

    [Fact]
    public async Task Create_KeyOfAFinishedJobPastItsTime_IsTaken_TheFormerHolderKeepsItsVersionAndFeed()
    {
        await using var store = Open();
        var first = Job("first") with { IdempotencyKey = "k", IdempotentUntil = T0.AddMinutes(10) };
        (await store.CreateAsync(first)).Should().Be(first.Id);
        var running = (await store.ClaimAsync(Claim())).Single();
        (await store.TryTransitionAsync(new JobTransition { JobId = first.Id, FromStatus = JobStatus.Running, ExpectedVersion = running.Version, ToStatus = JobStatus.Completed, At = T0, ClaimId = running.ClaimId })).Should().BeTrue();

        (await store.CreateAsync(Job("held, finished") with { IdempotencyKey = "k" })).Should().Be(first.Id, "a finished job holds its key until its time");
        _clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        (await store.CreateAsync(Job("held to the tick") with { IdempotencyKey = "k" })).Should().Be(first.Id, "it holds while its time is later than now");
        _clock.Advance(TimeSpan.FromTicks(1));
        var start = (await store.ReadFeedAsync(0, Memory<JobChange>.Empty)).LatestSequence;
        var second = Job("second") with { IdempotencyKey = "k" };

        (await store.CreateAsync(second)).Should().Be(second.Id);

        var former = (await store.GetAsync(first.Id))!;
        (former.IdempotencyKey, former.Version, former.Status).Should().Be((null, running.Version + 1, JobStatus.Completed));
        (await store.GetAsync(second.Id))!.IdempotencyKey.Should().Be("k");
        var feed = new JobChange[10];
        var read = await store.ReadFeedAsync(start, feed);
        feed[..read.Count].Select(c => (c.JobId, c.Kind)).Should().Equal((second.Id, JobEventKind.Created));
        (await store.CreateAsync(Job("third") with { IdempotencyKey = "k" })).Should().Be(second.Id);
    }

    [Fact]
    public async Task Create_KeyOfAnUnfinishedJob_IsHeldWhateverItsIdempotentUntil()
    {
        await using var store = Open();
        var waiting = Job("waiting") with { IdempotencyKey = "w", IdempotentUntil = T0, RunAfter = T0.AddDays(365) };
        var draft = Job("draft") with { Status = JobStatus.Editing, IdempotencyKey = "d", IdempotentUntil = T0 };
        await store.CreateManyAsync([waiting, draft]);
        _clock.Advance(TimeSpan.FromDays(30));

        (await store.CreateAsync(Job("again") with { IdempotencyKey = "w" })).Should().Be(waiting.Id);
        (await store.CreateAsync(Job("again") with { IdempotencyKey = "d" })).Should().Be(draft.Id);
    }

    [Fact]
    public async Task CreateMany_KeysPerItem_EarlierItemHolds_AndTheBatchSentAgainIsRecognised()
    {
        await using var store = Open();
        var holder = Job("stored before") with { IdempotencyKey = "old" };
        await store.CreateAsync(holder);
        var a = Job("a") with { IdempotencyKey = "k1" };
        var b = Job("b") with { IdempotencyKey = "k1" };
        var c = Job("c") with { IdempotencyKey = "old" };
        var d = Job("d");
        var start = (await store.ReadFeedAsync(0, Memory<JobChange>.Empty)).LatestSequence;

        (await store.CreateManyAsync([a, b, c, d])).Should().Equal(a.Id, a.Id, holder.Id, d.Id);

        (await store.GetAsync(b.Id)).Should().BeNull();
        (await store.GetAsync(c.Id)).Should().BeNull();
        var feed = new JobChange[10];
        var read = await store.ReadFeedAsync(start, feed);
        feed[..read.Count].Select(x => x.JobId).Should().Equal(a.Id, d.Id);

        var again = await store.CreateManyAsync([a, b, c, d]);

        again.Should().Equal(a.Id, a.Id, holder.Id, d.Id);
        (await store.ReadFeedAsync(start, feed)).Count.Should().Be(2, "a batch sent again stores and records nothing");
        await FluentActions.Awaiting(async () => await store.CreateManyAsync([a, b, c, d, Job("new")])).Should().ThrowAsync<ArgumentException>("part of the batch is stored and part is not");
    }

    [Fact]
    public async Task CreateMany_AKeyHeldBeforeAndARefusedJob_StoresNothing()
    {
        await using var store = Open();
        var stored = Job("stored");
        await store.CreateAsync(stored);
        var keyed = Job("keyed") with { IdempotencyKey = "k" };

        await FluentActions.Awaiting(async () => await store.CreateManyAsync([keyed, stored with { DisplayName = "other" }])).Should().ThrowAsync<ArgumentException>();

        (await store.GetAsync(keyed.Id)).Should().BeNull();
        (await store.CreateAsync(Job("takes the key") with { IdempotencyKey = "k" })).Should().NotBe(keyed.Id, "the refused batch left no holder");
    }

    [Fact]
    public async Task Create_KeyWithNulAndTimesAndTimeout_RoundTrip_AndTheSameJobSentAgainIsIdentical()
    {
        await using var store = Open();
        var job = Job("exact") with { IdempotencyKey = "a\0b ✓", IdempotentUntil = T0.AddTicks(12345670), RunAfter = T0.AddTicks(-10), Timeout = TimeSpan.FromTicks(987654321) };

        (await store.CreateAsync(job)).Should().Be(job.Id);
        (await store.CreateAsync(job)).Should().Be(job.Id);
        await FluentActions.Awaiting(async () => await store.CreateAsync(job with { Timeout = TimeSpan.FromSeconds(1) })).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(async () => await store.CreateAsync(job with { IdempotentUntil = null })).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(async () => await store.CreateAsync(job with { RunAfter = null })).Should().ThrowAsync<ArgumentException>();

        var read = (await store.GetAsync(job.Id))!;
        (read.IdempotencyKey, read.IdempotentUntil, read.RunAfter, read.Timeout).Should().Be((job.IdempotencyKey, job.IdempotentUntil, job.RunAfter, job.Timeout));
        (await store.CreateAsync(Job("other") with { IdempotencyKey = "a\0b ✓" })).Should().Be(job.Id);
        (await store.CreateAsync(Job("other") with { IdempotencyKey = "a" })).Should().NotBe(job.Id, "the key is compared whole, past its NUL");
    }

    public void Dispose() => _database.Dispose();

    private SqliteJobStore Open() => SqliteJobStores.Open(_database.ConnectionString, timeProvider: _clock);

    private JobClaimRequest Claim() => new() { InstanceId = "me", Node = "n", MaxCount = 10, At = _clock.GetUtcNow(), LeaseDuration = TimeSpan.FromMinutes(1) };

    private static JobRecord Job(string name) =>
        new() { Id = Guid.CreateVersion7(), TypeName = "t", DisplayName = name, Status = JobStatus.Queued, Version = 1, Parameters = "{}", CreatedAt = T0 };
}
