using System.Collections.Concurrent;
using System.Globalization;

namespace JobTracking.Storage;

// The in-memory store: each job's log lines, rejects and history entries.
public sealed partial class InMemoryJobStore
{
    /// <inheritdoc/>
    public ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        cancellationToken.ThrowIfCancellationRequested();
        Journal? journal = null;
        var stored = 0;
        foreach (var entry in entries)
        {
            if (entry.ClaimId is { } claim && !(_jobs.TryGetValue(entry.JobId, out var job) && job.Owner?.ClaimId == claim))
            {
                continue; // written by a run that no longer owns the job
            }

            if (journal is null || journal.JobId != entry.JobId)
            {
                journal = _journals.GetOrAdd(entry.JobId, static id => new Journal(id));
            }

            journal.Append(entry);
            stored++;
        }

        return new(stored);
    }

    /// <inheritdoc/>
    public ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return new(_journals.TryGetValue(jobId, out var journal)
            ? journal.ReadLog(after, query.PageSize, query.MinimumLevel)
            : new JournalPage<JobLogEntry> { Items = [], NextPageToken = null });
    }

    /// <inheritdoc/>
    public ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return new(_journals.TryGetValue(jobId, out var journal)
            ? journal.ReadRejects(after, query.PageSize)
            : new JournalPage<JobReject> { Items = [], NextPageToken = null });
    }

    /// <inheritdoc/>
    public ValueTask<JournalPage<JobHistoryRecord>> ReadHistoryAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return new(_journals.TryGetValue(jobId, out var journal)
            ? journal.ReadHistory(after, query.PageSize)
            : new JournalPage<JobHistoryRecord> { Items = [], NextPageToken = null });
    }

    /// <summary>One job's log lines, rejects and history entries, each numbered from 1 in the order appended.</summary>
    private sealed class Journal(Guid jobId)
    {
        private readonly Lock _lock = new();
        private readonly List<JobLogEntry> _log = [];
        private readonly List<JobReject> _rejects = [];
        private readonly List<JobHistoryRecord> _history = [];

        public Guid JobId { get; } = jobId;

        public void Append(JobJournalEntry entry)
        {
            lock (_lock)
            {
                if (entry.Kind == JobJournalKind.History)
                {
                    _history.Add(new JobHistoryRecord { Sequence = _history.Count + 1, At = entry.At, Text = entry.Text });
                }
                else if (entry.Kind == JobJournalKind.Reject)
                {
                    _rejects.Add(new JobReject { Sequence = _rejects.Count + 1, At = entry.At, RecordNumber = entry.RecordNumber, RawRecord = entry.Text, Reason = entry.Reason ?? string.Empty });
                }
                else
                {
                    _log.Add(new JobLogEntry { Sequence = _log.Count + 1, At = entry.At, Level = entry.Level, Message = entry.Text });
                }
            }
        }

        public JournalPage<JobLogEntry> ReadLog(long after, int pageSize, Microsoft.Extensions.Logging.LogLevel minimumLevel)
        {
            lock (_lock)
            {
                var items = new List<JobLogEntry>(Math.Min(pageSize, Math.Max(0, _log.Count - (int)Math.Min(after, _log.Count))));
                var index = (int)Math.Min(after, _log.Count);
                for (; index < _log.Count && items.Count < pageSize; index++)
                {
                    if (_log[index].Level >= minimumLevel)
                    {
                        items.Add(_log[index]);
                    }
                }

                var more = items.Count == pageSize && HasMore(_log, index, minimumLevel);
                return new JournalPage<JobLogEntry> { Items = items, NextPageToken = more ? items[^1].Sequence.ToString(CultureInfo.InvariantCulture) : null };
            }
        }

        public JournalPage<JobReject> ReadRejects(long after, int pageSize)
        {
            lock (_lock)
            {
                var start = (int)Math.Min(after, _rejects.Count);
                var count = Math.Min(pageSize, _rejects.Count - start);
                var items = _rejects.GetRange(start, count);
                var more = start + count < _rejects.Count;
                return new JournalPage<JobReject> { Items = items, NextPageToken = more ? items[^1].Sequence.ToString(CultureInfo.InvariantCulture) : null };
            }
        }

        public JournalPage<JobHistoryRecord> ReadHistory(long after, int pageSize)
        {
            lock (_lock)
            {
                var start = (int)Math.Min(after, _history.Count);
                var count = Math.Min(pageSize, _history.Count - start);
                var items = _history.GetRange(start, count);
                var more = start + count < _history.Count;
                return new JournalPage<JobHistoryRecord> { Items = items, NextPageToken = more ? items[^1].Sequence.ToString(CultureInfo.InvariantCulture) : null };
            }
        }

        private static bool HasMore(List<JobLogEntry> log, int from, Microsoft.Extensions.Logging.LogLevel minimumLevel)
        {
            for (var i = from; i < log.Count; i++)
            {
                if (log[i].Level >= minimumLevel)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
