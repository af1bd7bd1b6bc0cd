using System.Collections.Concurrent;
using System.Globalization;

namespace JobTracking.Storage;

// The in-memory store: the process tracker's lists and counts.
public sealed partial class InMemoryJobStore
{
    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default)
    {
        var counts = new Dictionary<(string Type, JobStatus Status), long>();
        foreach (var entry in _jobs.Values)
        {
            var state = Volatile.Read(ref entry.State);
            if (state != PurgedState)
            {
                var key = (entry.TypeName, (JobStatus)(state & StatusMask));
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new([.. counts.Select(c => new JobCount { TypeName = c.Key.Type, Status = c.Key.Status, Count = c.Value })]);
    }

    /// <inheritdoc/>
    public ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var after = JobPageToken.Decode(query.PageToken);

        // Walk the creation index from the newest job (or from just past the cursor) and stop one past the page.
        var matches = new List<JobRecord>(Math.Min(query.PageSize + 1, 256));
        lock (_indexLock)
        {
            var index = _byCreation.Count - 1;
            if (after is { } cursor)
            {
                var found = _byCreation.BinarySearch(Entry.Key(cursor.CreatedAt, cursor.Id), OldestFirst.Instance);
                index = (found >= 0 ? found : ~found) - 1;
            }

            for (; index >= 0 && matches.Count <= query.PageSize; index--)
            {
                var entry = _byCreation[index];
                if (query.CreatedFrom is { } from && entry.CreatedAt < from)
                {
                    break; // everything further is older still
                }

                var status = (JobStatus)(Volatile.Read(ref entry.State) & StatusMask);
                if (!JobQueryFilter.MayMatch(query, entry.TypeName, entry.LaunchedBy, entry.CreatedAt)
                    || (query.Statuses.Count != 0 && !query.Statuses.Contains(status)))
                {
                    continue;
                }

                var job = entry.Snapshot();
                if (job is not null && JobQueryFilter.Matches(query, job))
                {
                    matches.Add(job);
                }
            }
        }

        var hasMore = matches.Count > query.PageSize;
        if (hasMore)
        {
            matches.RemoveAt(matches.Count - 1);
        }

        return new(new JobPage { Items = matches, NextPageToken = hasMore ? JobPageToken.Encode(matches[^1]) : null });
    }

    private void AddToIndex(Entry entry)
    {
        lock (_indexLock)
        {
            AddToIndexLocked(entry);
        }
    }

    private void AddToIndexLocked(Entry entry)
    {
        // Jobs mostly arrive in creation order, so this is an append; a tie within one clock tick inserts near the end.
        var count = _byCreation.Count;
        Volatile.Write(ref _indexCount, count + 1);
        if (count == 0 || OldestFirst.Instance.Compare(_byCreation[count - 1], entry) < 0)
        {
            _byCreation.Add(entry);
        }
        else
        {
            var found = _byCreation.BinarySearch(entry, OldestFirst.Instance);
            _byCreation.Insert(found >= 0 ? found : ~found, entry);
        }
    }

    /// <summary>Orders entries oldest first: the reverse of a listing.</summary>
    private sealed class OldestFirst : IComparer<Entry>
    {
        public static readonly OldestFirst Instance = new();

        public int Compare(Entry? x, Entry? y) => JobPageToken.Compare(y!.CreatedAt, y.Id, x!.CreatedAt, x.Id);
    }
}
