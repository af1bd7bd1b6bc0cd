using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Tests;

/// <summary>The in-memory store's bound on finished jobs.</summary>
public sealed class InMemoryJobStoreRetentionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task MaxFinishedJobs_OneMoreFinishes_PurgesTheFirstFinishedWithItsJournal()
    {
        var store = new InMemoryJobStore(new FakeTimeProvider(T0), maxFinishedJobs: 3);
        var running = await CreateAsync(store);
        await ClaimAsync(store);
        var queued = await CreateAsync(store, priority: -1); // left in the queue: the others go first
        var finished = new List<Guid>();
        foreach (var end in new[] { JobStatus.Completed, JobStatus.Failed, JobStatus.Completed })
        {
            finished.Add(await FinishAsync(store, end));
        }

        await store.AppendJournalAsync([new JobJournalEntry { JobId = finished[0], Kind = JobJournalKind.Log, At = T0, Level = LogLevel.Information, Text = "first" }]);
        (await store.GetAsync(finished[0])).Should().NotBeNull("three finished jobs are within the bound");

        var fourth = await FinishAsync(store, JobStatus.Cancelled);

        (await store.GetAsync(finished[0])).Should().BeNull("the job that finished first is purged");
        (await store.ReadLogAsync(finished[0], new JournalQuery())).Items.Should().BeEmpty();
        foreach (var kept in new[] { finished[1], finished[2], fourth, queued, running })
        {
            (await store.GetAsync(kept)).Should().NotBeNull();
        }

        (await store.CountAsync()).Sum(c => c.Count).Should().Be(5);
    }

    [Fact]
    public async Task MaxFinishedJobs_RestartedJob_IsNotPurgedWhileItIsNotFinished()
    {
        var store = new InMemoryJobStore(new FakeTimeProvider(T0), maxFinishedJobs: 2);
        var restarted = await FinishAsync(store, JobStatus.Failed, priority: -1); // once queued again, the others go first
        var second = await FinishAsync(store, JobStatus.Completed);
        var failed = (await store.GetAsync(restarted))!;
        (await store.TryTransitionAsync(Move(failed, JobStatus.Queued) with { IsNewAttempt = true })).Should().BeTrue();

        var third = await FinishAsync(store, JobStatus.Completed);
        var fourth = await FinishAsync(store, JobStatus.Completed);

        (await store.GetAsync(restarted))!.Status.Should().Be(JobStatus.Queued, "a job that left the finished statuses is not counted");
        (await store.GetAsync(second)).Should().BeNull();
        (await store.GetAsync(third)).Should().NotBeNull();
        (await store.GetAsync(fourth)).Should().NotBeNull();
    }

    [Fact]
    public async Task MaxFinishedJobs_ManyPurges_ListStaysRightAndPagesKeepWorking()
    {
        var store = new InMemoryJobStore(new FakeTimeProvider(T0), maxFinishedJobs: 5);
        var ids = new List<Guid>();
        for (var i = 0; i < 3000; i++)
        {
            ids.Add(await FinishAsync(store, JobStatus.Completed, T0.AddSeconds(i)));
        }

        var listed = new List<Guid>();
        var query = new JobQuery { PageSize = 2 };
        do
        {
            var page = await store.QueryAsync(query);
            listed.AddRange(page.Items.Select(j => j.Id));
            query = query with { PageToken = page.NextPageToken };
        }
        while (query.PageToken is not null);

        listed.Should().Equal(Enumerable.Reverse(ids).Take(5), "the five that finished last, newest first");
        (await store.CountAsync()).Should().ContainSingle().Which.Count.Should().Be(5);
    }

    [Fact]
    public async Task MaxFinishedJobs_Null_KeepsEveryFinishedJob()
    {
        var store = new InMemoryJobStore(new FakeTimeProvider(T0), maxFinishedJobs: null);
        for (var i = 0; i < InMemoryJobStore.DefaultMaxFinishedJobs + 10; i++)
        {
            await FinishAsync(store, JobStatus.Completed, T0.AddMilliseconds(i));
        }

        (await store.CountAsync()).Single().Count.Should().Be(InMemoryJobStore.DefaultMaxFinishedJobs + 10);
    }

    [Fact]
    public void Constructor_MaxFinishedJobsBelowOne_ThrowsNamingIt()
    {
        var act = () => new InMemoryJobStore(maxFinishedJobs: 0);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxFinishedJobs");
    }

    [Fact]
    public void Options_Default_BoundFinishedJobsInMemory()
    {
        new JobTrackingOptions().MaxFinishedJobsInMemory.Should().Be(InMemoryJobStore.DefaultMaxFinishedJobs).And.Be(10_000);
    }

    [Theory]
    [InlineData("null", null)]
    [InlineData("500", 500)]
    public void Options_FromConfiguration_NullTurnsTheBoundOff(string value, int? expected)
    {
        var json = $"{{\"JobTracking\":{{\"MaxFinishedJobsInMemory\":{value}}}}}";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        var options = new JobTrackingOptions();

        configuration.GetSection(JobTrackingOptions.SectionName).Bind(options);

        options.MaxFinishedJobsInMemory.Should().Be(expected);
    }

    private static async Task<Guid> CreateAsync(InMemoryJobStore store, DateTimeOffset? at = null, int priority = 0)
    {
        var job = NewJobs.Queued(at ?? T0, priority);
        await store.CreateAsync(job);
        return job.Id;
    }

    private static async Task<JobRecord> ClaimAsync(InMemoryJobStore store)
    {
        var claimed = await store.ClaimAsync(new JobClaimRequest { InstanceId = "i", Node = "n", MaxCount = 1, At = T0, LeaseDuration = TimeSpan.FromMinutes(1) });
        return claimed.Should().ContainSingle().Subject;
    }

    private static async Task<Guid> FinishAsync(InMemoryJobStore store, JobStatus end, DateTimeOffset? at = null, int priority = 0)
    {
        var id = await CreateAsync(store, at, priority);
        var running = await ClaimAsync(store);
        running.Id.Should().Be(id);
        if (end == JobStatus.Cancelled)
        {
            (await store.TryTransitionAsync(Move(running, JobStatus.Cancelling))).Should().BeTrue();
            running = (await store.GetAsync(id))!;
        }

        (await store.TryTransitionAsync(Move(running, end) with { ClaimId = running.ClaimId })).Should().BeTrue();
        return id;
    }

    private static JobTransition Move(JobRecord job, JobStatus to) => new()
    {
        JobId = job.Id,
        FromStatus = job.Status,
        ExpectedVersion = job.Version,
        ToStatus = to,
        At = T0,
    };
}
