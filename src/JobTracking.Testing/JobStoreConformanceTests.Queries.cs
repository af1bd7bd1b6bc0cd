using JobTracking.Storage;
using Microsoft.Extensions.Logging;
using Xunit;

namespace JobTracking.Testing;

/// <summary>The tracker's reads (<see cref="IJobQueryStore"/>), the journal (<see cref="IJobJournalStore"/>) and purging.</summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>Every filter of a query narrows the list, newest first.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Query_Filters_NarrowNewestFirst()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var a = NewJob() with { TypeName = "import", DisplayName = "Import PRODUCTS", LaunchedBy = "alice", CreatedAt = T0 };
        var b = NewJob() with { TypeName = "export", DisplayName = "Export prices", LaunchedBy = "alice", CreatedAt = T0.AddMinutes(1) };
        var c = NewJob() with { TypeName = "import", DisplayName = "import media", LaunchedBy = "bob", CreatedAt = T0.AddMinutes(2) };
        foreach (var job in new[] { a, b, c })
        {
            await store.CreateAsync(job);
        }

        Assert.True(await store.TryTransitionAsync(Move(c.Id, JobStatus.Queued, 1, JobStatus.Paused)));
        await ClaimOneAsync(store, a.Id, "node-x", T0);

        Assert.Equal([c.Id, b.Id, a.Id], await IdsAsync(store, new JobQuery()));
        Assert.Equal([c.Id, a.Id], await IdsAsync(store, new JobQuery { TypeName = "import" }));
        Assert.Equal([b.Id, a.Id], await IdsAsync(store, new JobQuery { LaunchedBy = "alice" }));
        Assert.Equal([c.Id, a.Id], await IdsAsync(store, new JobQuery { Text = "IMPORT" }));
        Assert.Equal([c.Id, a.Id], await IdsAsync(store, new JobQuery { Statuses = [JobStatus.Paused, JobStatus.Running] }));
        Assert.Equal([a.Id], await IdsAsync(store, new JobQuery { Node = "node-x" }));
        Assert.Equal([b.Id], await IdsAsync(store, new JobQuery { CreatedFrom = T0.AddSeconds(30), CreatedTo = T0.AddMinutes(2) }));
        Assert.Equal([], await IdsAsync(store, new JobQuery { Text = "%" }));
        Assert.Equal([], await IdsAsync(store, new JobQuery { LaunchedBy = "' OR '1'='1" }));
    }

    /// <summary>Walking every page returns every job once, newest first, and stays stable while newer jobs are added.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Query_KeysetPaging_ReturnsEachJobOnceWhileJobsArrive()
    {
        await using var lease = await LeaseAsync();
        var existing = new List<JobRecord>();
        for (var i = 0; i < 120; i++)
        {
            var job = NewJob() with { CreatedAt = T0.AddSeconds(i / 7) }; // several jobs share a creation time
            existing.Add(job);
            await lease.Store.CreateAsync(job);
        }

        var seen = new List<JobRecord>();
        var query = new JobQuery { PageSize = 13 };
        var added = 0;
        do
        {
            var page = await Q(lease.Store).QueryAsync(query);
            Assert.True(page.Items.Count <= 13);
            seen.AddRange(page.Items);
            await lease.Store.CreateAsync(NewJob() with { CreatedAt = T0.AddDays(1).AddSeconds(added++) });
            query = query with { PageToken = page.NextPageToken };
        }
        while (query.PageToken is not null);

        Assert.Equal(existing.Count, seen.Count);
        Assert.Equal(existing.Select(j => j.Id).Order(), seen.Select(j => j.Id).Order());
        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i - 1].CreatedAt >= seen[i].CreatedAt, "newest first");
        }
    }

    /// <summary>Malformed queries and page tokens are refused with an ArgumentException.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Query_BadArguments_AreRefused()
    {
        await using var lease = await LeaseAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Q(lease.Store).QueryAsync(new JobQuery { PageSize = 0 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Q(lease.Store).QueryAsync(new JobQuery { PageSize = JobQuery.MaxPageSize + 1 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Q(lease.Store).QueryAsync(new JobQuery { PageToken = "not-a-token" }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await J(lease.Store).ReadLogAsync(Guid.NewGuid(), new JournalQuery { PageToken = "x" }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await J(lease.Store).ReadRejectsAsync(Guid.NewGuid(), new JournalQuery { PageSize = 0 }));
        await Assert.ThrowsAnyAsync<ArgumentNullException>(async () => await lease.Store.CreateAsync(null!));
    }

    /// <summary>Journals keep each job's log lines and rejects in the order appended, numbered from 1, with their text intact.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Journal_AppendedInOrder_ReadBackPagedAndIntact()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var one = NewJob();
        var two = NewJob();
        await store.CreateAsync(one);
        await store.CreateAsync(two);
        var odd = "line with \"quotes\", commas,\r\nbreaks and ünïcödé 製品 " + new string('x', 20_000);
        var entries = new List<JobJournalEntry>();
        for (var i = 0; i < 250; i++)
        {
            entries.Add(Log(one.Id, i % 5 == 0 ? LogLevel.Warning : LogLevel.Information, $"one {i}"));
            entries.Add(Log(two.Id, LogLevel.Debug, $"two {i}"));
            if (i % 10 == 0)
            {
                entries.Add(Reject(one.Id, i, i == 0 ? odd : $"raw {i}", $"reason {i}"));
            }
        }

        await J(store).AppendJournalAsync(entries.Take(300).ToList());
        await J(store).AppendJournalAsync(entries.Skip(300).ToList());

        var lines = await ReadAllLogAsync(store, one.Id, new JournalQuery { PageSize = 7 });
        Assert.Equal(Enumerable.Range(0, 250).Select(i => $"one {i}"), lines.Select(l => l.Message));
        Assert.Equal(Enumerable.Range(1, 250).Select(i => (long)i), lines.Select(l => l.Sequence));
        var warnings = await ReadAllLogAsync(store, one.Id, new JournalQuery { PageSize = 4, MinimumLevel = LogLevel.Warning });
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"one {i * 5}"), warnings.Select(l => l.Message));
        Assert.Equal(250, (await ReadAllLogAsync(store, two.Id, new JournalQuery { PageSize = 100 })).Count);

        var rejects = new List<JobReject>();
        var query = new JournalQuery { PageSize = 6 };
        do
        {
            var page = await J(store).ReadRejectsAsync(one.Id, query);
            rejects.AddRange(page.Items);
            query = query with { PageToken = page.NextPageToken };
        }
        while (query.PageToken is not null);

        Assert.Equal(25, rejects.Count);
        Assert.Equal(odd, rejects[0].RawRecord);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (long)i * 10), rejects.Select(r => r.RecordNumber));
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), rejects.Select(r => r.Sequence));
        Assert.Equal("reason 10", rejects[1].Reason);
        Assert.Equal(T0, rejects[1].At);
        Assert.Empty((await J(store).ReadRejectsAsync(two.Id, new JournalQuery())).Items);
    }

    /// <summary>Purge deletes only finished jobs that ended before the cut-off, with their journals.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Purge_RemovesOnlyOldFinishedJobs()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var oldDone = await FinishAsync(store, NewJob(), JobStatus.Completed, T0);
        var oldCancelled = NewJob();
        await store.CreateAsync(oldCancelled);
        Assert.True(await store.TryTransitionAsync(Move(oldCancelled.Id, JobStatus.Queued, 1, JobStatus.Cancelled, T0)));
        var oldFailed = await FinishAsync(store, NewJob(), JobStatus.Failed, T0);
        var recentDone = await FinishAsync(store, NewJob(), JobStatus.Completed, T0.AddDays(10));
        var running = NewJob();
        await store.CreateAsync(running);
        await ClaimOneAsync(store, running.Id, "n", T0);
        var queued = NewJob();
        await store.CreateAsync(queued);
        var paused = NewJob();
        await store.CreateAsync(paused);
        Assert.True(await store.TryTransitionAsync(Move(paused.Id, JobStatus.Queued, 1, JobStatus.Paused, T0)));
        await J(store).AppendJournalAsync([Log(oldDone, LogLevel.Information, "gone"), Log(recentDone, LogLevel.Information, "kept")]);

        var purged = await Q(store).PurgeAsync(T0.AddDays(1), 100);

        Assert.Equal(3, purged);
        foreach (var gone in new[] { oldDone, oldCancelled.Id, oldFailed })
        {
            Assert.Null(await store.GetAsync(gone));
        }

        Assert.Empty((await J(store).ReadLogAsync(oldDone, new JournalQuery())).Items);
        foreach (var kept in new[] { recentDone, queued.Id, running.Id, paused.Id })
        {
            Assert.NotNull(await store.GetAsync(kept));
        }

        Assert.Single((await J(store).ReadLogAsync(recentDone, new JournalQuery())).Items);
        Assert.Equal(0, await Q(store).PurgeAsync(T0.AddDays(1), 100));
    }
}
