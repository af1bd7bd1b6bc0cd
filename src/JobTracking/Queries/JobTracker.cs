namespace JobTracking.Queries;

/// <summary>Reads the store for the process tracker.</summary>
internal sealed class JobTracker : IJobTracker
{
    private readonly IJobStore _store;

    public JobTracker(IJobStore store)
    {
        _store = store;
    }

    public async ValueTask<JobRecord> GetAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        await _store.GetAsync(jobId, cancellationToken).ConfigureAwait(false) ?? throw new JobNotFoundException(jobId);

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
}
