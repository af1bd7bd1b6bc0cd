using JobTracking.Storage;
using Xunit;

namespace JobTracking.Testing;

/// <summary>Time and repetition: jobs that wait for their time (<see cref="JobRecord.RunAfter"/>), retries, "run now", and idempotency keys.</summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>The new fields round-trip: a job's time, idempotency key, its window and timeout.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Time_Create_RoundTripsRunAfterKeyWindowAndTimeout()
    {
        await using var lease = await LeaseAsync();
        var job = NewJob() with
        {
            RunAfter = T0.AddHours(1).AddTicks(1230),
            IdempotencyKey = "order/42 « ✓ » '; --\0end",
            IdempotentUntil = T0.AddDays(1).AddTicks(4560),
            Timeout = TimeSpan.FromHours(2) + TimeSpan.FromMicroseconds(7),
        };

        Assert.Equal(job.Id, await lease.Store.CreateAsync(job));
        var read = (await lease.Store.GetAsync(job.Id))!;

        AssertMicroseconds(job.RunAfter.Value, read.RunAfter);
        Assert.Equal(job.IdempotencyKey, read.IdempotencyKey);
        AssertMicroseconds(job.IdempotentUntil.Value, read.IdempotentUntil);
        Assert.Equal(job.Timeout, read.Timeout);
        Assert.Null((await lease.Store.GetAsync((await FinishAsync(lease.Store, NewJob(), JobStatus.Completed, T0)))!)!.RunAfter);
    }

    /// <summary>A job waiting for its time is not claimed before it, by the store's clock, and is claimed once it has come; the store tells when the next waiting job comes due.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Time_WaitingJob_IsClaimedOnlyOnceItsTimeHasCome()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var later = NewJob() with { RunAfter = T0.AddMinutes(10) };
        var sooner = NewJob() with { RunAfter = T0.AddMinutes(5) };
        await store.CreateAsync(later);
        await store.CreateAsync(sooner);

        Assert.Empty(await store.ClaimAsync(Claim("n", 10, T0)));
        AssertMicroseconds(T0.AddMinutes(5), await store.GetNextRunAfterAsync());

        lease.Clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.Empty(await store.ClaimAsync(Claim("n", 10, T0)));

        lease.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(sooner.Id, Assert.Single(await store.ClaimAsync(Claim("n", 10, T0))).Id);
        AssertMicroseconds(T0.AddMinutes(10), await store.GetNextRunAfterAsync());

        lease.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(later.Id, Assert.Single(await store.ClaimAsync(Claim("n", 10, T0))).Id);
        Assert.Null(await store.GetNextRunAfterAsync());
    }

    /// <summary>Jobs that come due enter the queue in the order of their times, behind the jobs that were ready before them; a time in the past is ready at once.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Time_DueJobs_AreClaimedInTheOrderOfTheirTimes()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var third = NewJob() with { RunAfter = T0.AddMinutes(3), CreatedAt = T0 };
        var second = NewJob() with { RunAfter = T0.AddMinutes(2), CreatedAt = T0.AddSeconds(1) };
        var ready = NewJob() with { CreatedAt = T0.AddSeconds(2) };
        var past = NewJob() with { RunAfter = T0.AddMinutes(-5), CreatedAt = T0.AddSeconds(3) };
        foreach (var job in new[] { third, second, ready, past })
        {
            await store.CreateAsync(job);
        }

        lease.Clock.Advance(TimeSpan.FromMinutes(4));
        var order = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            order.Add(Assert.Single(await store.ClaimAsync(Claim("n", 1, T0.AddMinutes(4)))).Id);
        }

        Assert.Equal([ready.Id, past.Id, second.Id, third.Id], order);
    }

    /// <summary>A retry (Running to Queued as a new attempt, with the error) records the attempt as failed with its error, stores the job's time and releases its concurrency key; "run now" (Queued to Queued) makes it ready at once.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Time_Retry_RecordsTheFailedAttemptWaitsAndRunNowMakesItReady()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob() with { ConcurrencyKey = "profile/7" };
        var next = NewJob() with { ConcurrencyKey = "profile/7", CreatedAt = T0.AddSeconds(1) };
        await store.CreateAsync(job);
        await store.CreateAsync(next);
        var running = await ClaimOneAsync(store, job.Id, "n", T0.AddMinutes(1));
        var error = new JobError { Type = "System.Net.Http.HttpRequestException", Message = "supplier feed down \0", StackTrace = "at Fetch()" };

        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Queued, T0.AddMinutes(2)) with
        {
            ClaimId = running.ClaimId,
            IsNewAttempt = true,
            Error = error,
            RunAfter = T0.AddMinutes(30),
        }));

        var retried = (await store.GetAsync(job.Id))!;
        Assert.Equal(JobStatus.Queued, retried.Status);
        Assert.Equal(running.Version + 1, retried.Version);
        Assert.Equal(2, retried.Attempt);
        Assert.Null(retried.Claim);
        Assert.Null(retried.Error);
        AssertMicroseconds(T0.AddMinutes(30), retried.RunAfter);
        Assert.Equal([new JobAttempt { Number = 1, StartedAt = T0.AddMinutes(1), EndedAt = T0.AddMinutes(2), Status = JobStatus.Failed, Error = error }], retried.PreviousAttempts);

        // The key is free again: the next job of the key runs while the retried one waits.
        Assert.Equal(next.Id, Assert.Single(await store.ClaimAsync(Claim("n", 10, T0.AddMinutes(3)))).Id);
        Assert.True(await store.TryTransitionAsync(Move(next.Id, JobStatus.Running, 2, JobStatus.Completed, T0.AddMinutes(3))));
        Assert.Empty(await store.ClaimAsync(Claim("n", 10, T0.AddMinutes(3))));

        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, retried.Version, JobStatus.Queued, T0.AddMinutes(4))));
        var now = (await store.GetAsync(job.Id))!;
        Assert.Null(now.RunAfter);
        Assert.Equal(retried.Version + 1, now.Version);
        var again = Assert.Single(await store.ClaimAsync(Claim("n", 10, T0.AddMinutes(5))));
        Assert.Equal(job.Id, again.Id);
        Assert.Equal(2, again.Attempt);
    }

    /// <summary>A paused waiting job keeps its time; queued again with it, it still waits; a reclaim never changes it.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Time_PausedWaitingJob_KeepsItsTime()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob() with { RunAfter = T0.AddHours(1) };
        await store.CreateAsync(job);

        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 1, JobStatus.Paused)));
        AssertMicroseconds(T0.AddHours(1), (await store.GetAsync(job.Id))!.RunAfter);
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Paused, 2, JobStatus.Queued) with { RunAfter = T0.AddHours(1) }));

        Assert.Empty(await store.ClaimAsync(Claim("n", 10, T0)));
        lease.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(job.Id, Assert.Single(await store.ClaimAsync(Claim("n", 10, T0.AddHours(1)))).Id);
    }

    /// <summary>The feed carries a job's time on its creation and on a move to Queued, so every instance can wake when it comes due.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Time_Feed_CarriesTheTimeOnCreationAndRequeue()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var start = await LatestAsync(store);
        var job = NewJob() with { RunAfter = T0.AddMinutes(10) };
        await store.CreateAsync(job);
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 1, JobStatus.Queued) with { RunAfter = T0.AddMinutes(20) }));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 2, JobStatus.Paused)));

        var changes = await ReadAllFeedAsync(store, start);
        Assert.Equal(3, changes.Count);
        AssertMicroseconds(T0.AddMinutes(10), changes[0].RunAfter);
        AssertMicroseconds(T0.AddMinutes(20), changes[1].RunAfter);
        Assert.Equal(JobStatus.Queued, changes[1].PreviousStatus);
        Assert.Null(changes[2].RunAfter);
    }

    /// <summary>A create whose idempotency key an unfinished job holds returns that job's id and stores nothing: no job, no change in the feed.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Keys_RepeatedStart_ReturnsTheHolderAndStoresNothing()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var first = NewJob() with { IdempotencyKey = "form/1" };
        Assert.Equal(first.Id, await store.CreateAsync(first));
        var start = await LatestAsync(store);

        var repeat = NewJob() with { IdempotencyKey = "form/1", Parameters = "{\"other\":true}" };
        Assert.Equal(first.Id, await store.CreateAsync(repeat));

        Assert.Null(await store.GetAsync(repeat.Id));
        Assert.Empty(await ReadAllFeedAsync(store, start));
        Assert.Equal(first.Id, Assert.Single(await IdsAsync(store, new JobQuery())));
        Assert.Equal(first.Id, await store.CreateAsync(first)); // the first create sent again finds itself
        var other = NewJob() with { IdempotencyKey = "form/2" };
        Assert.Equal(other.Id, await store.CreateAsync(other));
    }

    /// <summary>A finished job holds its key until its window has passed by the store's clock; then a new start takes the key and the former holder reads none, its version unchanged. An unfinished job holds its key whatever its window.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Keys_FinishedHolder_ReleasesTheKeyAfterItsWindow()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var done = NewJob() with { IdempotencyKey = "msg/1", IdempotentUntil = T0.AddHours(1) };
        await FinishAsync(store, done, JobStatus.Completed, T0);
        var waiting = NewJob() with { IdempotencyKey = "msg/2", IdempotentUntil = T0.AddMinutes(1) };
        await store.CreateAsync(waiting);

        Assert.Equal(done.Id, await store.CreateAsync(NewJob() with { IdempotencyKey = "msg/1" }));
        lease.Clock.Advance(TimeSpan.FromHours(2));

        var before = (await store.GetAsync(done.Id))!;
        var second = NewJob() with { IdempotencyKey = "msg/1", CreatedAt = T0.AddHours(2) };
        Assert.Equal(second.Id, await store.CreateAsync(second));
        var former = (await store.GetAsync(done.Id))!;
        Assert.Null(former.IdempotencyKey);
        Assert.Equal(before.Version, former.Version);
        Assert.Equal("msg/1", (await store.GetAsync(second.Id))!.IdempotencyKey);
        Assert.Equal(second.Id, await store.CreateAsync(NewJob() with { IdempotencyKey = "msg/1" }));

        Assert.Equal(waiting.Id, await store.CreateAsync(NewJob() with { IdempotencyKey = "msg/2" }));
    }

    /// <summary>Many creates with one key, released together (from two store instances when the store is shared), store exactly one job, and every one of them returns its id.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Keys_RacingStarts_StoreOneJob()
    {
        await using var lease = await LeaseAsync();
        var second = await CreateSecondInstanceAsync(lease.Store, lease.Clock);
        await using var secondLease = second is null ? null : new StoreLease(second, lease.Clock);
        var stores = second is null ? new[] { lease.Store } : [lease.Store, second];
        using var pool = new PoolGrowth(16);

        var ids = await RaceAsync(64, i => stores[i % stores.Length].CreateAsync(NewJob() with { IdempotencyKey = "one-import", CreatedAt = T0.AddTicks(i * 10) }).AsTask());

        var stored = await IdsAsync(lease.Store, new JobQuery());
        Assert.Equal(Assert.Single(stored), Assert.Single(ids.Distinct()));
    }

    /// <summary>A batch honours keys per job: a job whose key a stored job or an earlier job of the batch holds is not stored, and its place holds the holder's id; the batch sent again stores nothing more.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Keys_Batch_HonoursEachJobsKey()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var holder = NewJob() with { IdempotencyKey = "y" };
        await store.CreateAsync(holder);
        var a = NewJob() with { IdempotencyKey = "x", CreatedAt = T0.AddTicks(10) };
        var b = NewJob() with { IdempotencyKey = "y", CreatedAt = T0.AddTicks(20) };
        var c = NewJob() with { IdempotencyKey = "x", CreatedAt = T0.AddTicks(30) };
        var d = NewJob() with { CreatedAt = T0.AddTicks(40) };
        JobRecord[] batch = [a, b, c, d];

        Assert.Equal([a.Id, holder.Id, a.Id, d.Id], await store.CreateManyAsync(batch));
        Assert.Equal([a.Id, holder.Id, a.Id, d.Id], await store.CreateManyAsync(batch));

        Assert.Equal(new[] { holder.Id, a.Id, d.Id }.Order(), (await IdsAsync(store, new JobQuery())).Order());
        Assert.Null(await store.GetAsync(b.Id));
        Assert.Null(await store.GetAsync(c.Id));
    }
}
