using JobTracking.History;
using JobTracking.Hosting;
using JobTracking.Journal;
using JobTracking.Ownership;
using JobTracking.Storage;

namespace JobTracking.Queries;

/// <summary>Reads the store for the process tracker.</summary>
internal sealed class JobTracker : IJobTracker
{
    private readonly IJobStore _jobs;
    private readonly IJobQueryStore _store;
    private readonly IJobJournalStore _journal;
    private readonly JobJournalWriter _writer;
    private readonly InstanceHeartbeats _instances;

    // The most history entries one read returns: a job commanded more often than that shows its first ones.
    private const int MaxHistoryEntries = 10_000;

    public JobTracker(IJobStore jobs, IJobQueryStore store, IJobJournalStore journal, JobJournalWriter writer, Definitions.JobTypeRegistry registry, InstanceHeartbeats instances)
    {
        _instances = instances;
        _writer = writer;
        _jobs = jobs;
        _store = store;
        _journal = journal;
        JobTypes = [.. registry.Types
            .OrderBy(t => t.TypeName, StringComparer.Ordinal)
            .Select(t => new JobTypeInfo(t.TypeName, t.DisplayName, t.Options.MaxAttempts, t.Options.Timeout))];
    }

    public IReadOnlyList<JobTypeInfo> JobTypes { get; }

    public async ValueTask<JobRecord> GetAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        await _jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) ?? throw new JobNotFoundException(jobId);

    public ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default) =>
        _store.CountAsync(cancellationToken);

    public ValueTask<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return _store.QueryAsync(query, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<JobRecord>> LastOperationsAsync(int count = 10, string? launchedBy = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, JobQuery.MaxPageSize);
        var page = await _store.QueryAsync(new JobQuery { PageSize = count, LaunchedBy = launchedBy }, cancellationToken).ConfigureAwait(false);
        return page.Items;
    }

    public async ValueTask<JournalPage<JobLogEntry>> GetLogAsync(Guid jobId, JournalQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new JournalQuery();
        query.Validate();
        await GetAsync(jobId, cancellationToken).ConfigureAwait(false);
        return await _journal.ReadLogAsync(jobId, query, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<JournalPage<JobReject>> GetRejectsAsync(Guid jobId, JournalQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new JournalQuery();
        query.Validate();
        await GetAsync(jobId, cancellationToken).ConfigureAwait(false);
        return await _journal.ReadRejectsAsync(jobId, query, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<JobHistoryEntry>> GetHistoryAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        var job = await GetAsync(jobId, cancellationToken).ConfigureAwait(false);
        var recorded = new List<JobHistoryEntry>();
        if (_journal is IJobHistoryStore history)
        {
            // What this host handed to the journal (a command just issued) is stored first, so a caller reads its own command.
            await _writer.FlushAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            var query = new JournalQuery { PageSize = 1000 };
            while (recorded.Count < MaxHistoryEntries)
            {
                var page = await history.ReadHistoryAsync(jobId, query, cancellationToken).ConfigureAwait(false);
                foreach (var record in page.Items)
                {
                    if (JobHistoryText.Read(record) is { } entry)
                    {
                        recorded.Add(entry);
                    }
                }

                if (page.NextPageToken is null)
                {
                    break;
                }

                query = query with { PageToken = page.NextPageToken };
            }
        }

        return JobHistoryTimeline.Build(job, recorded);
    }

    public async Task<long> ExportRejectsCsvAsync(Guid jobId, TextWriter writer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        await GetAsync(jobId, cancellationToken).ConfigureAwait(false);
        await writer.WriteAsync("RecordNumber,Reason,RawRecord,RejectedAt\r\n".AsMemory(), cancellationToken).ConfigureAwait(false);
        long count = 0;
        var query = new JournalQuery { PageSize = 1000 };
        while (true)
        {
            var page = await _journal.ReadRejectsAsync(jobId, query, cancellationToken).ConfigureAwait(false);
            foreach (var reject in page.Items)
            {
                await writer.WriteAsync(Csv.Record(reject).AsMemory(), cancellationToken).ConfigureAwait(false);
                count++;
            }

            if (page.NextPageToken is null)
            {
                return count;
            }

            query = query with { PageToken = page.NextPageToken };
        }
    }

    public ValueTask<IReadOnlyList<JobInstanceInfo>> GetInstancesAsync(CancellationToken cancellationToken = default) =>
        _instances.ListAsync(cancellationToken);

    public ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, CancellationToken cancellationToken = default) =>
        JobRetention.PurgeAllAsync(_store, endedBefore, cancellationToken);
}
