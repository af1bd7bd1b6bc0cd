using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Sqlite.Tests;

/// <summary>Jobs that wait for their run-after time on SQLite: out of the queue's index until a claim finds them due, by the store's clock.</summary>
public sealed class SqliteRunAfterTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private readonly TempDatabase _database = new();
    private readonly FakeTimeProvider _clock = new(T0);

    [Fact]
    public async Task Claim_WaitingJobs_NotClaimedUntilTheClockPassesTheirTime_ThenInTheOrderOfTheirTimes()
    {
        await using var store = Open();
        var late = Job("late") with { RunAfter = T0.AddSeconds(10) };
        var early = Job("early") with { RunAfter = T0.AddSeconds(5) };
        var earlyToo = Job("early too") with { RunAfter = T0.AddSeconds(5) };
        var ready = Job("ready") with { RunAfter = T0 };
        await store.CreateAsync(late);
        await store.CreateAsync(early);
        await store.CreateManyAsync([earlyToo, ready]);

        (await ClaimAsync(store, 10)).Should().Equal(["ready"], "a run-after time not later than now is ready at once");
        (await store.GetNextRunAfterAsync()).Should().Be(T0.AddSeconds(5));

        _clock.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(10));
        (await ClaimAsync(store, 10)).Should().BeEmpty("no job's time has come");
        var afterReady = Job("queued after their times") with { CreatedAt = T0.AddSeconds(6) };
        _clock.Advance(TimeSpan.FromSeconds(2));
        await store.CreateAsync(afterReady);

        (await ClaimAsync(store, 1)).Should().Equal("early");
        (await store.GetNextRunAfterAsync()).Should().Be(T0.AddSeconds(10));
        (await ClaimAsync(store, 10)).Should().Equal(["early too", "queued after their times"], "due jobs of equal time enter in creation order");

        _clock.Advance(TimeSpan.FromSeconds(30));
        (await store.GetNextRunAfterAsync()).Should().BeNull("the late job's time is past: it waits for no later time");
        (await ClaimAsync(store, 10)).Should().Equal("late");
        (await store.GetAsync(late.Id))!.RunAfter.Should().Be(T0.AddSeconds(10), "a claim keeps the job's run-after time");
    }

    [Fact]
    public async Task Claim_ManyDue_TakesThemInTheOrderOfTheirTimesNotOfCreation()
    {
        await using var store = Open();
        var jobs = Enumerable.Range(0, 40).Select(i => Job($"job {i}") with { RunAfter = T0.AddSeconds(100 - i) }).ToList();
        await store.CreateManyAsync(jobs);
        _clock.Advance(TimeSpan.FromMinutes(5));

        var claimed = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            claimed.AddRange(await ClaimAsync(store, 10));
        }

        claimed.Should().Equal(jobs.Select(j => j.DisplayName).Reverse());
    }

    [Fact]
    public async Task WaitingJobs_AreOutOfTheQueuesIndex_AndInTheirOwn()
    {
        await using var store = Open();
        await store.CreateManyAsync([.. Enumerable.Range(0, 50).Select(i => Job($"w{i}") with { RunAfter = T0.AddHours(1 + i) })]);
        var job = Job("moved back") with { RunAfter = null };
        await store.CreateAsync(job);
        var running = (await store.ClaimAsync(Claim(1))).Single();
        (await store.TryTransitionAsync(new JobTransition
        {
            JobId = job.Id, FromStatus = JobStatus.Running, ExpectedVersion = running.Version, ToStatus = JobStatus.Queued, At = T0,
            ClaimId = running.ClaimId, IsNewAttempt = true, RunAfter = T0.AddDays(1),
        })).Should().BeTrue();

        using var connection = Connection();
        Scalar(connection, "SELECT COUNT(*) FROM jobs INDEXED BY ix_jobs_queue WHERE status = 1 AND (queue_seq IS NOT NULL OR run_after IS NULL)")
            .Should().Be(0L, "the claim scans this index, and no job in it may wait");
        Scalar(connection, "SELECT COUNT(*) FROM jobs INDEXED BY ix_jobs_waiting WHERE status = 1 AND queue_seq IS NULL AND run_after IS NOT NULL").Should().Be(51L);
        (await store.GetNextRunAfterAsync()).Should().Be(T0.AddHours(1));
    }

    [Fact]
    public async Task RunNow_QueuedToQueuedWithoutTime_IsClaimedAtOnce_AndLeavesTheWaitingIndex()
    {
        await using var store = Open();
        var job = Job("scheduled") with { RunAfter = T0.AddHours(1) };
        await store.CreateAsync(job);
        (await ClaimAsync(store, 1)).Should().BeEmpty();

        (await store.TryTransitionAsync(new JobTransition { JobId = job.Id, FromStatus = JobStatus.Queued, ExpectedVersion = 1, ToStatus = JobStatus.Queued, At = T0 })).Should().BeTrue();

        (await store.GetNextRunAfterAsync()).Should().BeNull();
        var read = (await store.GetAsync(job.Id))!;
        (read.Status, read.Version, read.RunAfter).Should().Be((JobStatus.Queued, 2L, null));
        (await ClaimAsync(store, 1)).Should().Equal("scheduled");
    }

    [Fact]
    public async Task Retry_RunningToQueuedWithError_RecordsTheFailedAttempt_ReleasesTheKey_AndWaitsForItsTime()
    {
        await using var store = Open();
        var first = Job("first") with { ConcurrencyKey = "k" };
        var second = Job("second") with { ConcurrencyKey = "k" };
        await store.CreateManyAsync([first, second]);
        var running = (await store.ClaimAsync(Claim(10))).Single();
        running.Id.Should().Be(first.Id, "the second job's key is held");
        var error = new JobError { Type = "System.TimeoutException", Message = "slow \0 service", StackTrace = "at x" };

        (await store.TryTransitionAsync(new JobTransition
        {
            JobId = first.Id, FromStatus = JobStatus.Running, ExpectedVersion = running.Version, ToStatus = JobStatus.Queued, At = T0.AddSeconds(1),
            ClaimId = running.ClaimId, IsNewAttempt = true, Error = error, RunAfter = T0.AddSeconds(30),
        })).Should().BeTrue();

        var retried = (await store.GetAsync(first.Id))!;
        (retried.Status, retried.Attempt, retried.ClaimId, retried.StartedAt, retried.Error, retried.RunAfter)
            .Should().Be((JobStatus.Queued, 2, null, null, null, T0.AddSeconds(30)));
        retried.PreviousAttempts.Should().Equal(new JobAttempt { Number = 1, StartedAt = T0, EndedAt = T0.AddSeconds(1), Status = JobStatus.Failed, Error = error });
        (await store.CountAsync()).Single(c => c.Status == JobStatus.Queued).Count.Should().Be(2);
        (await store.CountAsync()).Should().NotContain(c => c.Status == JobStatus.Running && c.Count > 0);
        (await ClaimAsync(store, 10)).Should().Equal(["second"], "the retried job released its key and waits for its time");

        var feed = new JobChange[10];
        var read = await store.ReadFeedAsync(0, feed);
        feed[..read.Count].Where(c => c.JobId == first.Id).Select(c => (c.PreviousStatus, c.Status, c.RunAfter)).Should().Equal(
            (JobStatus.Queued, JobStatus.Queued, (DateTimeOffset?)null), (JobStatus.Queued, JobStatus.Running, null), (JobStatus.Running, JobStatus.Queued, T0.AddSeconds(30)));
    }

    [Fact]
    public async Task RunAfter_Reopened_IsStillWaiting_AndComesDue()
    {
        var job = Job("waits") with { RunAfter = T0.AddMinutes(1) };
        await using (var store = Open())
        {
            await store.CreateAsync(job);
        }

        await using var reopened = Open();
        (await ClaimAsync(reopened, 1)).Should().BeEmpty();
        (await reopened.GetNextRunAfterAsync()).Should().Be(T0.AddMinutes(1));
        _clock.Advance(TimeSpan.FromMinutes(1));
        (await ClaimAsync(reopened, 1)).Should().Equal(["waits"], "the writer reads when the first waiting job comes due when it opens the file");
    }

    [Fact]
    public async Task Reclaim_ResumedJob_KeepsItsRunAfter()
    {
        await using var store = Open();
        var job = Job("resumed") with { RunAfter = T0.AddSeconds(1) };
        await store.CreateAsync(job);
        _clock.Advance(TimeSpan.FromSeconds(2));
        (await ClaimAsync(store, 1)).Should().Equal("resumed");
        _clock.Advance(TimeSpan.FromMinutes(5));

        var reclaimed = await store.ReclaimAsync(new JobReclaimRequest { InstanceId = "other", At = _clock.GetUtcNow(), Resume = true });

        reclaimed.Single().Job.Should().Match<JobRecord>(j => j.Status == JobStatus.Queued && j.RunAfter == T0.AddSeconds(1));
        (await ClaimAsync(store, 1)).Should().Equal("resumed");
    }

    public void Dispose() => _database.Dispose();

    private SqliteJobStore Open() => SqliteJobStores.Open(_database.ConnectionString, timeProvider: _clock);

    private async Task<List<string>> ClaimAsync(SqliteJobStore store, int maxCount) =>
        [.. (await store.ClaimAsync(Claim(maxCount))).Select(j => j.DisplayName)];

    private JobClaimRequest Claim(int maxCount) =>
        new() { InstanceId = "me", Node = "n", MaxCount = maxCount, At = _clock.GetUtcNow(), LeaseDuration = TimeSpan.FromMinutes(1) };

    private static JobRecord Job(string name) =>
        new() { Id = Guid.CreateVersion7(), TypeName = "t", DisplayName = name, Status = JobStatus.Queued, Version = 1, Parameters = "{}", CreatedAt = T0 };

    private SqliteConnection Connection()
    {
        var connection = new SqliteConnection($"Data Source={_database.Path_};Pooling=False;Mode=ReadOnly");
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
