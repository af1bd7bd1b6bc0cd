using System.Collections.Concurrent;
using System.Globalization;

namespace JobTracking.Testing.Tests;

// Broken stores of IJobJournalStore.

/// <summary>Numbers each job's log lines and rejects from 0.</summary>
internal sealed class JournalNumberingFromZero(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        var page = await base.ReadLogAsync(jobId, query, cancellationToken);
        return page.WithItems([.. page.Items.Select(e => e.WithSequence(e.Sequence - 1))]);
    }

    public override async ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        var page = await base.ReadRejectsAsync(jobId, query, cancellationToken);
        return page.WithItems([.. page.Items.Select(e => e.WithSequence(e.Sequence - 1))]);
    }
}

/// <summary>A store that numbers journal entries with counters of its own making, and shows those numbers on reads.</summary>
internal abstract class JournalRenumberingStore(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(Guid, JobJournalKind), long> _stored = [];
    private readonly Dictionary<object, long> _counters = [];
    private readonly ConcurrentDictionary<(Guid, JobJournalKind, long), long> _shown = new();

    public override async ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default)
    {
        var stored = 0;
        foreach (var entry in entries)
        {
            // One at a time, to learn which entries the real store kept and which number it gave each.
            if (await base.AppendJournalAsync([entry], cancellationToken) == 1)
            {
                lock (_lock)
                {
                    var key = (entry.JobId, entry.Kind);
                    var sequence = _stored[key] = _stored.GetValueOrDefault(key) + 1;
                    var counter = CounterOf(entry);
                    _shown[(entry.JobId, entry.Kind, sequence)] = _counters[counter] = _counters.GetValueOrDefault(counter) + 1;
                }

                stored++;
            }
        }

        return stored;
    }

    public override async ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        var page = await base.ReadLogAsync(jobId, query, cancellationToken);
        return page.WithItems([.. page.Items.Select(e => e.WithSequence(_shown.GetValueOrDefault((jobId, JobJournalKind.Log, e.Sequence), e.Sequence)))]);
    }

    public override async ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        var page = await base.ReadRejectsAsync(jobId, query, cancellationToken);
        return page.WithItems([.. page.Items.Select(e => e.WithSequence(_shown.GetValueOrDefault((jobId, JobJournalKind.Reject, e.Sequence), e.Sequence)))]);
    }

    /// <summary>The counter an entry takes its number from.</summary>
    protected abstract object CounterOf(JobJournalEntry entry);
}

/// <summary>Numbers entries with one counter for the whole store (an identity column) instead of per job and kind.</summary>
internal sealed class JournalNumberingAcrossJobs(InMemoryJobStore inner, TimeProvider clock) : JournalRenumberingStore(inner, clock)
{
    private static readonly object Everything = new();

    protected override object CounterOf(JobJournalEntry entry) => Everything;
}

/// <summary>Numbers a job's log lines and rejects with one counter instead of one per kind.</summary>
internal sealed class JournalNumberingKindsTogether(InMemoryJobStore inner, TimeProvider clock) : JournalRenumberingStore(inner, clock)
{
    protected override object CounterOf(JobJournalEntry entry) => entry.JobId;
}

/// <summary>Stores a batch in the reverse of the order given.</summary>
internal sealed class JournalReversingBatches(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default) =>
        base.AppendJournalAsync([.. entries.Reverse()], cancellationToken);
}

/// <summary>Keeps the first 4000 characters of a text (an <c>nvarchar(4000)</c> column).</summary>
internal sealed class JournalTruncatingText(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default) =>
        base.AppendJournalAsync([.. entries.Select(e => Requests.With(e, text: t => t.Length > 4000 ? t[..4000] : t))], cancellationToken);
}

/// <summary>Drops NUL characters from journal text (as a C string would).</summary>
internal sealed class JournalStrippingNul(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default) =>
        base.AppendJournalAsync([.. entries.Select(e => Requests.With(e, text: t => t.Replace("\0", "", StringComparison.Ordinal)))], cancellationToken);
}

/// <summary>Stores a reject without its reason.</summary>
internal sealed class JournalDroppingRejectReason(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default) =>
        base.AppendJournalAsync([.. entries.Select(e => Requests.With(e, dropReason: true))], cancellationToken);
}

/// <summary>Reads every log line, whatever <see cref="JournalQuery.MinimumLevel"/> asks for.</summary>
internal sealed class ReadLogIgnoringMinimumLevel(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) =>
        base.ReadLogAsync(jobId, query with { MinimumLevel = Microsoft.Extensions.Logging.LogLevel.Trace }, cancellationToken);
}

/// <summary>Returns a next-page token with every full page, even the last one.</summary>
internal sealed class JournalTokenOnFullLastPage(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        var page = await base.ReadLogAsync(jobId, query, cancellationToken);
        return page.Items.Count == query.PageSize ? page.WithToken(Token(page.Items[^1].Sequence)) : page;
    }

    public override async ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default)
    {
        var page = await base.ReadRejectsAsync(jobId, query, cancellationToken);
        return page.Items.Count == query.PageSize ? page.WithToken(Token(page.Items[^1].Sequence)) : page;
    }

    private static string Token(long sequence) => sequence.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Deletes purged jobs but leaves their log lines and rejects behind.</summary>
internal sealed class PurgeLeavingJournals(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        var finished = await Inner.QueryAsync(new JobQuery { Statuses = [JobStatus.Completed, JobStatus.Cancelled, JobStatus.Failed], PageSize = JobQuery.MaxPageSize }, cancellationToken);
        var journals = new Dictionary<Guid, List<JobJournalEntry>>();
        foreach (var job in finished.Items)
        {
            var entries = new List<JobJournalEntry>();
            foreach (var line in (await Inner.ReadLogAsync(job.Id, new JournalQuery { PageSize = JournalQuery.MaxPageSize }, cancellationToken)).Items)
            {
                entries.Add(new JobJournalEntry { JobId = job.Id, Kind = JobJournalKind.Log, At = line.At, Level = line.Level, Text = line.Message });
            }

            foreach (var reject in (await Inner.ReadRejectsAsync(job.Id, new JournalQuery { PageSize = JournalQuery.MaxPageSize }, cancellationToken)).Items)
            {
                entries.Add(new JobJournalEntry { JobId = job.Id, Kind = JobJournalKind.Reject, At = reject.At, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Text = reject.RawRecord, RecordNumber = reject.RecordNumber, Reason = reject.Reason });
            }

            journals[job.Id] = entries;
        }

        var purged = await base.PurgeAsync(endedBefore, maxCount, cancellationToken);
        foreach (var (jobId, entries) in journals)
        {
            if (entries.Count > 0 && await ReadInnerAsync(jobId) is null)
            {
                await Inner.AppendJournalAsync(entries, cancellationToken);
            }
        }

        return purged;
    }
}
