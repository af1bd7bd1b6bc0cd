using JobTracking.Storage;
using Microsoft.Extensions.Logging;
using Xunit;

namespace JobTracking.Testing;

/// <summary>The edges of rules the other tests check only in the middle: exact boundaries, shared statuses, re-queued jobs, limits.</summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>A transition that names another status than the job's loses even when the version matches; nothing changes.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Transition_OtherStatusAtTheExpectedVersion_Loses()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var queued = NewJob();
        var draft = NewJob() with { Status = JobStatus.Editing };
        await store.CreateAsync(queued);
        await store.CreateAsync(draft);

        Assert.False(await store.TryTransitionAsync(Move(queued.Id, JobStatus.Paused, 1, JobStatus.Cancelled)));
        Assert.False(await store.TryTransitionAsync(Move(draft.Id, JobStatus.Queued, 1, JobStatus.Cancelled)));

        var readQueued = (await store.GetAsync(queued.Id))!;
        var readDraft = (await store.GetAsync(draft.Id))!;
        Assert.Equal((JobStatus.Queued, 1L), (readQueued.Status, readQueued.Version));
        Assert.Equal((JobStatus.Editing, 1L), (readDraft.Status, readDraft.Version));
    }

    /// <summary>A move to Completed or Cancelled sets the end time to the transition's time, as a move to Failed does.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Transition_ToCompletedOrCancelled_SetsEndedAt()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var completed = await FinishAsync(store, NewJob(), JobStatus.Completed, T0.AddMinutes(2));
        var cancelled = NewJob() with { CreatedAt = T0.AddSeconds(1) };
        await store.CreateAsync(cancelled);
        Assert.True(await store.TryTransitionAsync(Move(cancelled.Id, JobStatus.Queued, 1, JobStatus.Cancelled, T0.AddMinutes(3))));

        AssertMicroseconds(T0.AddMinutes(2), (await store.GetAsync(completed))!.EndedAt);
        AssertMicroseconds(T0.AddMinutes(3), (await store.GetAsync(cancelled.Id))!.EndedAt);
    }

    /// <summary>A job held and queued again waits behind the jobs already queued: queue order is the order of entering Queued, not of creation.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Claim_RequeuedJob_WaitsBehindJobsQueuedBeforeIt()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var older = NewJob() with { CreatedAt = T0 };
        var newer = NewJob() with { CreatedAt = T0.AddSeconds(1) };
        await store.CreateAsync(older);
        await store.CreateAsync(newer);
        Assert.True(await store.TryTransitionAsync(Move(older.Id, JobStatus.Queued, 1, JobStatus.Paused)));
        Assert.True(await store.TryTransitionAsync(Move(older.Id, JobStatus.Paused, 2, JobStatus.Queued)));

        var batch = await store.ClaimAsync(Claim("n", 2, T0));

        Assert.Equal([newer.Id, older.Id], batch.Select(j => j.Id));
    }

    /// <summary>A reclaim takes no more than <see cref="JobReclaimRequest.MaxCount"/> jobs; the others wait for the next call.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Reclaim_TakesNoMoreThanMaxCount()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        for (var i = 0; i < 3; i++)
        {
            await store.CreateAsync(NewJob() with { CreatedAt = T0.AddSeconds(i) });
        }

        Assert.Equal(3, (await store.ClaimAsync(Claim("a", 3, T0, "instance-a"))).Count);
        lease.Clock.Advance(Lease);
        var request = new JobReclaimRequest { InstanceId = "instance-c", At = T0, MaxCount = 2 };

        Assert.Equal(2, (await store.ReclaimAsync(request)).Count);
        Assert.Single(await store.ReclaimAsync(request));
        Assert.Empty(await store.ReclaimAsync(request));
    }

    /// <summary>The last page of a job's log or rejects has no next-page token, even when it is full.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Journal_LastPage_HasNoNextToken()
    {
        await using var lease = await LeaseAsync();
        var job = NewJob();
        await lease.Store.CreateAsync(job);
        await J(lease.Store).AppendJournalAsync(
        [
            .. Enumerable.Range(0, 4).Select(i => Log(job.Id, LogLevel.Information, $"line {i}")),
            .. Enumerable.Range(0, 4).Select(i => Reject(job.Id, i, $"raw {i}", "bad")),
        ]);

        var first = await J(lease.Store).ReadLogAsync(job.Id, new JournalQuery { PageSize = 2 });
        var second = await J(lease.Store).ReadLogAsync(job.Id, new JournalQuery { PageSize = 2, PageToken = first.NextPageToken });
        var rejects = await J(lease.Store).ReadRejectsAsync(job.Id, new JournalQuery { PageSize = 4 });

        Assert.NotNull(first.NextPageToken);
        Assert.Equal(["line 2", "line 3"], second.Items.Select(l => l.Message));
        Assert.Null(second.NextPageToken);
        Assert.Equal(4, rejects.Items.Count);
        Assert.Null(rejects.NextPageToken);
    }

    /// <summary>A date range keeps a job created exactly at its start and leaves out one created exactly at its end.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Query_DateRange_KeepsItsStartAndLeavesItsEnd()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var a = NewJob() with { CreatedAt = T0 };
        var b = NewJob() with { CreatedAt = T0.AddMinutes(1) };
        var c = NewJob() with { CreatedAt = T0.AddMinutes(2) };
        foreach (var job in new[] { a, b, c })
        {
            await store.CreateAsync(job);
        }

        Assert.Equal([b.Id], await IdsAsync(store, new JobQuery { CreatedFrom = b.CreatedAt, CreatedTo = c.CreatedAt }));
        Assert.Equal([c.Id, b.Id, a.Id], await IdsAsync(store, new JobQuery { CreatedFrom = a.CreatedAt }));
        Assert.Equal([], await IdsAsync(store, new JobQuery { CreatedTo = a.CreatedAt }));
    }

    /// <summary>Counts keep two types apart when they share a status.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Count_TypesSharingAStatus_AreCountedApart()
    {
        await using var lease = await LeaseAsync();
        await lease.Store.CreateAsync(NewJob() with { TypeName = "import" });
        await lease.Store.CreateAsync(NewJob() with { TypeName = "import" });
        await lease.Store.CreateAsync(NewJob() with { TypeName = "export" });

        var counts = await Q(lease.Store).CountAsync();

        Assert.Equal(2, counts.Single(c => c.TypeName == "import" && c.Status == JobStatus.Queued).Count);
        Assert.Equal(1, counts.Single(c => c.TypeName == "export" && c.Status == JobStatus.Queued).Count);
        Assert.Equal(2, counts.Count);
    }
}
