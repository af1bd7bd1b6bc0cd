using System.Collections.Concurrent;
using System.Globalization;

namespace JobTracking.Testing.Tests;

// Broken stores of IJobHistoryStore.

/// <summary>Keeps history entries as log lines, as a store written before the History kind existed does, and reads no history.</summary>
internal sealed class HistoryStoredAsLogLines(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default) =>
        base.AppendJournalAsync([.. entries.Select(e => e.Kind == JobJournalKind.History ? Copy(e) : e)], cancellationToken);

    public override ValueTask<JournalPage<JobHistoryRecord>> ReadHistoryAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) =>
        new(new JournalPage<JobHistoryRecord> { Items = [], NextPageToken = null });

    private static JobJournalEntry Copy(JobJournalEntry e) =>
        new() { JobId = e.JobId, ClaimId = e.ClaimId, Kind = JobJournalKind.Log, At = e.At, Level = e.Level, Text = e.Text };
}

/// <summary>Reads a job's history ordered by time, not in the order appended (a table read by its time index).</summary>
internal sealed class HistoryOrderedByTime(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<JournalPage<JobHistoryRecord>> ReadHistoryAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        var after = query.Validate();
        var all = new List<JobHistoryRecord>();
        var page = new JournalQuery { PageSize = JournalQuery.MaxPageSize };
        do
        {
            var read = await base.ReadHistoryAsync(jobId, page, cancellationToken);
            all.AddRange(read.Items);
            page = page with { PageToken = read.NextPageToken };
        }
        while (page.PageToken is not null);

        var ordered = all.OrderBy(r => r.At).Select((r, i) => new JobHistoryRecord { Sequence = i + 1, At = r.At, Text = r.Text }).ToList();
        var items = ordered.Skip((int)after).Take(query.PageSize).ToList();
        var more = after + items.Count < ordered.Count;
        return new JournalPage<JobHistoryRecord> { Items = items, NextPageToken = more ? items[^1].Sequence.ToString(CultureInfo.InvariantCulture) : null };
    }
}

/// <summary>Keeps history entries in a table of its own that a purge forgets.</summary>
internal sealed class HistoryKeptAfterPurge(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, List<JobHistoryRecord>> _history = new();

    public override async ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default)
    {
        var stored = await base.AppendJournalAsync([.. entries.Where(e => e.Kind != JobJournalKind.History)], cancellationToken);
        foreach (var entry in entries.Where(e => e.Kind == JobJournalKind.History))
        {
            var list = _history.GetOrAdd(entry.JobId, static _ => []);
            lock (list)
            {
                list.Add(new JobHistoryRecord { Sequence = list.Count + 1, At = entry.At, Text = entry.Text });
            }

            stored++;
        }

        return stored;
    }

    public override ValueTask<JournalPage<JobHistoryRecord>> ReadHistoryAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        var after = query.Validate();
        List<JobHistoryRecord> items;
        var more = false;
        if (_history.TryGetValue(jobId, out var list))
        {
            lock (list)
            {
                items = [.. list.Skip((int)after).Take(query.PageSize)];
                more = after + items.Count < list.Count;
            }
        }
        else
        {
            items = [];
        }

        return new(new JournalPage<JobHistoryRecord> { Items = items, NextPageToken = more ? items[^1].Sequence.ToString(CultureInfo.InvariantCulture) : null });
    }
}
