using System.Collections.Concurrent;
using System.Globalization;

namespace JobTracking.Testing.Tests;

// Broken stores of IJobQueryStore: filters, order, keyset paging, counts and purge.

/// <summary>A store whose query leaves one of the filters out.</summary>
internal abstract class FilterDroppingStore(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default) => base.QueryAsync(Drop(query), cancellationToken);

    /// <summary>The query as the store runs it.</summary>
    protected abstract JobQuery Drop(JobQuery query);
}

/// <summary>Ignores <see cref="JobQuery.Statuses"/>.</summary>
internal sealed class QueryIgnoringStatuses(InMemoryJobStore inner, TimeProvider clock) : FilterDroppingStore(inner, clock)
{
    protected override JobQuery Drop(JobQuery query) => query with { Statuses = [] };
}

/// <summary>Ignores <see cref="JobQuery.TypeName"/>.</summary>
internal sealed class QueryIgnoringTypeName(InMemoryJobStore inner, TimeProvider clock) : FilterDroppingStore(inner, clock)
{
    protected override JobQuery Drop(JobQuery query) => query with { TypeName = null };
}

/// <summary>Ignores <see cref="JobQuery.LaunchedBy"/>.</summary>
internal sealed class QueryIgnoringLaunchedBy(InMemoryJobStore inner, TimeProvider clock) : FilterDroppingStore(inner, clock)
{
    protected override JobQuery Drop(JobQuery query) => query with { LaunchedBy = null };
}

/// <summary>Ignores <see cref="JobQuery.Node"/>.</summary>
internal sealed class QueryIgnoringNode(InMemoryJobStore inner, TimeProvider clock) : FilterDroppingStore(inner, clock)
{
    protected override JobQuery Drop(JobQuery query) => query with { Node = null };
}

/// <summary>Ignores <see cref="JobQuery.CreatedFrom"/>.</summary>
internal sealed class QueryIgnoringCreatedFrom(InMemoryJobStore inner, TimeProvider clock) : FilterDroppingStore(inner, clock)
{
    protected override JobQuery Drop(JobQuery query) => query with { CreatedFrom = null };
}

/// <summary>Ignores <see cref="JobQuery.CreatedTo"/>.</summary>
internal sealed class QueryIgnoringCreatedTo(InMemoryJobStore inner, TimeProvider clock) : FilterDroppingStore(inner, clock)
{
    protected override JobQuery Drop(JobQuery query) => query with { CreatedTo = null };
}

/// <summary>Ignores <see cref="JobQuery.Text"/>.</summary>
internal sealed class QueryIgnoringText(InMemoryJobStore inner, TimeProvider clock) : FilterDroppingStore(inner, clock)
{
    protected override JobQuery Drop(JobQuery query) => query with { Text = null };
}

/// <summary>Treats <see cref="JobQuery.CreatedFrom"/> as exclusive: a job created exactly then is left out.</summary>
internal sealed class QueryExcludingCreatedFrom(InMemoryJobStore inner, TimeProvider clock) : FilterDroppingStore(inner, clock)
{
    protected override JobQuery Drop(JobQuery query) => query.CreatedFrom is { } from ? query with { CreatedFrom = from.AddTicks(1) } : query;
}

/// <summary>Treats <see cref="JobQuery.CreatedTo"/> as inclusive: a job created exactly then is kept.</summary>
internal sealed class QueryIncludingCreatedTo(InMemoryJobStore inner, TimeProvider clock) : FilterDroppingStore(inner, clock)
{
    protected override JobQuery Drop(JobQuery query) => query.CreatedTo is { } to ? query with { CreatedTo = to.AddTicks(1) } : query;
}

/// <summary>Matches <see cref="JobQuery.Text"/> case-sensitively.</summary>
internal sealed class QueryMatchingTextByCase(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        var page = await base.QueryAsync(query, cancellationToken);
        return query.Text is { } text ? page.WithItems([.. page.Items.Where(j => j.DisplayName.Contains(text, StringComparison.Ordinal))]) : page;
    }
}

/// <summary>Lists the oldest jobs first.</summary>
internal sealed class QueryOldestFirst(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        var page = await base.QueryAsync(query, cancellationToken);
        return page.WithItems([.. page.Items.Reverse()]);
    }
}

/// <summary>Returns every matching job on one page, whatever <see cref="JobQuery.PageSize"/> asks for.</summary>
internal sealed class QueryIgnoringPageSize(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return base.QueryAsync(query with { PageSize = JobQuery.MaxPageSize }, cancellationToken);
    }
}

/// <summary>Returns a next-page token with every full page, even the last one.</summary>
internal sealed class QueryTokenOnFullLastPage(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        var page = await base.QueryAsync(query, cancellationToken);
        return page.NextPageToken is null && page.Items.Count == query.PageSize ? page.WithToken(JobPageToken.Encode(page.Items[^1])) : page;
    }
}

/// <summary>Starts the next page at the last job of this one, so that job is listed twice.</summary>
internal sealed class QueryRepeatingLastJob(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        var page = await base.QueryAsync(query, cancellationToken);
        return page.NextPageToken is not null && page.Items.Count >= 2 ? page.WithToken(JobPageToken.Encode(page.Items[^2])) : page;
    }
}

/// <summary>Pages by offset instead of by keyset, so jobs added while a client pages shift the pages under it.</summary>
internal sealed class QueryPagingByOffset(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var offset = 0;
        if (query.PageToken is { } token && !(token.StartsWith('o') && int.TryParse(token.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out offset)))
        {
            throw new ArgumentException($"The page token '{token}' is malformed.", nameof(query));
        }

        var all = await base.QueryAsync(query with { PageToken = null, PageSize = JobQuery.MaxPageSize }, cancellationToken);
        var items = all.Items.Skip(offset).Take(query.PageSize).ToList();
        var more = all.Items.Count > offset + query.PageSize;
        return new JobPage { Items = items, NextPageToken = more ? string.Create(CultureInfo.InvariantCulture, $"o{offset + query.PageSize}") : null };
    }
}

/// <summary>Reads a page token it did not issue as "the first page" instead of refusing it.</summary>
internal sealed class QueryAcceptingAnyToken(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        try
        {
            JobPageToken.Decode(query.PageToken);
        }
        catch (ArgumentException)
        {
            query = query with { PageToken = null };
        }

        return base.QueryAsync(query, cancellationToken);
    }
}

/// <summary>Counts per status, with every type under one name.</summary>
internal sealed class CountMergingTypes(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override async ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default)
    {
        var counts = await base.CountAsync(cancellationToken);
        return [.. counts.GroupBy(c => c.Status).Select(g => new JobCount { TypeName = g.First().TypeName, Status = g.Key, Count = g.Sum(c => c.Count) })];
    }
}

/// <summary>Deletes a job that ended exactly at the cut-off.</summary>
internal sealed class PurgeIncludingTheCutOff(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default) =>
        base.PurgeAsync(endedBefore.AddTicks(1), maxCount, cancellationToken);
}

/// <summary>Deletes every matching job at once, however few were allowed.</summary>
internal sealed class PurgeIgnoringMaxCount(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    public override ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default) =>
        base.PurgeAsync(endedBefore, int.MaxValue, cancellationToken);
}

/// <summary>Deletes the jobs created before the cut-off, finished or not.</summary>
internal sealed class PurgeByCreationTime(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock)
{
    private readonly ConcurrentDictionary<Guid, bool> _deleted = new();

    public override async ValueTask<int> PurgeAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default)
    {
        var old = await Inner.QueryAsync(new JobQuery { CreatedTo = endedBefore, PageSize = JobQuery.MaxPageSize }, cancellationToken);
        var purged = 0;
        foreach (var job in old.Items)
        {
            if (purged < maxCount && _deleted.TryAdd(job.Id, true))
            {
                purged++;
            }
        }

        return purged;
    }

    public override async ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        _deleted.ContainsKey(jobId) ? null : await base.GetAsync(jobId, cancellationToken);

    public override async ValueTask<JobPage> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        var page = await base.QueryAsync(query, cancellationToken);
        return page.WithItems([.. page.Items.Where(j => !_deleted.ContainsKey(j.Id))]);
    }

    public override async ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) =>
        _deleted.ContainsKey(jobId) ? new JournalPage<JobLogEntry> { Items = [], NextPageToken = null } : await base.ReadLogAsync(jobId, query, cancellationToken);
}
