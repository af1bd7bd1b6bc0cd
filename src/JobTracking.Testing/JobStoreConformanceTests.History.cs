using JobTracking.Storage;
using Microsoft.Extensions.Logging;
using Xunit;

namespace JobTracking.Testing;

/// <summary>The kit's tests of <see cref="IJobHistoryStore"/>: a store that does not implement it keeps no history, and these tests say so and are skipped.</summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>History entries, appended mixed with log lines and rejects of several jobs, read back per job in the order appended, numbered from 1, each with its time to the microsecond and its text exactly; never as log lines or rejects.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task History_AppendedInOrder_ReadBackPagedApartFromTheLog()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var history = History(lease);
        var one = NewJob();
        var two = NewJob();
        await store.CreateAsync(one);
        await store.CreateAsync(two);
        var odd = "{\"reason\":\"ünïcödé 製品 \\u0000 <b>&amp; '; DROP TABLE job_history; --\"}\0 " + new string('x', 20_000);
        var entries = new List<JobJournalEntry>();
        for (var i = 0; i < 40; i++)
        {
            entries.Add(Log(one.Id, LogLevel.Information, $"one {i}"));
            // Times that go back as well as forward: the order is the order appended, not the order of the times.
            entries.Add(HistoryEntry(one.Id, T0.AddTicks((i % 2 == 0 ? 10 * i : -10 * i) + 1_234_560), i == 7 ? odd : $"{{\"kind\":\"Pause\",\"n\":{i}}}"));
            if (i % 4 == 0)
            {
                entries.Add(HistoryEntry(two.Id, T0.AddTicks(i * 10), $"two {i}"));
                entries.Add(Reject(one.Id, i, $"raw {i}", $"reason {i}"));
            }
        }

        await J(store).AppendJournalAsync(entries.Take(50).ToList());
        await J(store).AppendJournalAsync(entries.Skip(50).ToList());

        var read = await ReadAllHistoryAsync(history, one.Id, new JournalQuery { PageSize = 3 });
        var expected = entries.Where(e => e.JobId == one.Id && e.Kind == JobJournalKind.History).ToList();
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), read.Select(r => r.Sequence));
        Assert.Equal(expected.Select(e => e.Text), read.Select(r => r.Text));
        Assert.Equal(expected.Select(e => e.At), read.Select(r => r.At));
        Assert.Equal(odd, read[7].Text);
        var other = await ReadAllHistoryAsync(history, two.Id, new JournalQuery { PageSize = 100 });
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"two {i * 4}"), other.Select(r => r.Text));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), other.Select(r => r.Sequence));

        // Kept apart: the log and the rejects hold only their own entries, numbered without the history's.
        var lines = await ReadAllLogAsync(store, one.Id, new JournalQuery { PageSize = 100 });
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"one {i}"), lines.Select(l => l.Message));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), lines.Select(l => l.Sequence));
        Assert.Empty(await ReadAllLogAsync(store, two.Id, new JournalQuery()));
        Assert.Equal(10, (await J(store).ReadRejectsAsync(one.Id, new JournalQuery())).Items.Count);

        var last = await history.ReadHistoryAsync(one.Id, new JournalQuery { PageSize = 40 });
        Assert.Equal(40, last.Items.Count);
        Assert.Null(last.NextPageToken);
        Assert.Empty((await history.ReadHistoryAsync(Guid.NewGuid(), new JournalQuery())).Items);
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await history.ReadHistoryAsync(one.Id, new JournalQuery { PageToken = "x" }));
    }

    /// <summary>Purge deletes a finished job's history with it, and keeps the history of a job it keeps.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task History_IsPurgedWithItsJob()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var history = History(lease);
        var oldDone = await FinishAsync(store, NewJob(), JobStatus.Completed, T0);
        var recentDone = await FinishAsync(store, NewJob(), JobStatus.Completed, T0.AddDays(10));
        await J(store).AppendJournalAsync([HistoryEntry(oldDone, T0, "gone"), HistoryEntry(recentDone, T0, "kept"), Log(oldDone, LogLevel.Information, "gone")]);

        Assert.Equal(1, await Q(store).PurgeAsync(T0.AddDays(1), 100));

        Assert.Empty((await history.ReadHistoryAsync(oldDone, new JournalQuery())).Items);
        Assert.Equal("kept", Assert.Single((await history.ReadHistoryAsync(recentDone, new JournalQuery())).Items).Text);
    }

    private static JobJournalEntry HistoryEntry(Guid id, DateTimeOffset at, string text) =>
        new() { JobId = id, Kind = JobJournalKind.History, At = at, Level = LogLevel.Information, Text = text };

    private static async Task<List<JobHistoryRecord>> ReadAllHistoryAsync(IJobHistoryStore history, Guid id, JournalQuery query)
    {
        var all = new List<JobHistoryRecord>();
        do
        {
            var page = await history.ReadHistoryAsync(id, query);
            all.AddRange(page.Items);
            query = query with { PageToken = page.NextPageToken };
        }
        while (query.PageToken is not null);

        return all;
    }

    private static IJobHistoryStore History(StoreLease lease)
    {
        if (lease.Store is not IJobHistoryStore history)
        {
            Assert.Skip($"{lease.Store.GetType().Name} keeps no history (it does not implement IJobHistoryStore, an optional contract), so there is nothing to check.");
            return null!;
        }

        return history;
    }
}
