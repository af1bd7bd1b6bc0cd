using JobTracking.Storage;
using Npgsql;
using NpgsqlTypes;

namespace JobTracking.PostgreSql.Storage;

/// <summary>Queued jobs moved to Running for an instance, in one statement, after the waiting jobs that came due entered the queue.</summary>
internal sealed class PgClaim(JobClaimRequest request, DateTimeOffset? now, string?[] clusterTypes, int[] clusterLimits) : PgWrite<IReadOnlyList<JobRecord>>
{
    public override bool RecordsChanges => true;

    public override bool TakesClaimLock => clusterTypes.Length > 0;

    public override PgQueueLock QueueLock => PgQueueLock.Shared;

    /// <summary>Gets the claimed rows that could not be read (edited by hand): Running under this claim, for the store to fail.</summary>
    public List<UnreadableJob> Unreadable { get; private set; } = [];

    public override void AddTo(NpgsqlBatch batch, PgStatements sql)
    {
        var excluded = new List<string?>();
        var limitedTypes = new List<string?>();
        var limits = new List<int>();
        foreach (var (type, limit) in request.TypeLimits)
        {
            if (limit <= 0)
            {
                excluded.Add(PgText.Store(type));
            }
            else
            {
                limitedTypes.Add(PgText.Store(type));
                limits.Add(limit);
            }
        }

        // With type limits, read past enough ready jobs that they seldom leave the claim short; without, read what is taken.
        var thinned = limitedTypes.Count > 0 || clusterTypes.Length > 0;
        var scan = thinned ? (int)Math.Min(int.MaxValue, (request.MaxCount * 4L) + 16) : request.MaxCount;

        // First the waiting jobs that came due enter the queue, oldest time first: at least as many as the claim reads,
        // so a claim never passes over a due job for lack of promotion while fewer than that are due at once.
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.Promote)
        {
            Parameters = { PgRows.Time(now), PgRows.Int((int)Math.Min(int.MaxValue, scan + 100L)) },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(thinned ? sql.ClaimThinned : sql.Claim)
        {
            Parameters =
            {
                PgRows.Array(excluded.ToArray(), NpgsqlDbType.Text),
                PgRows.Int(scan),
                PgRows.Array(limitedTypes.ToArray(), NpgsqlDbType.Text),
                PgRows.Array(limits.ToArray(), NpgsqlDbType.Integer),
                PgRows.Int(request.MaxCount),
                PgRows.Time(request.At),
                PgRows.Text(request.Node),
                PgRows.Text(request.InstanceId),
                PgRows.Time(now),
                PgRows.Interval(request.LeaseDuration),
                PgRows.Array(clusterTypes, NpgsqlDbType.Text),
                PgRows.Array(clusterLimits, NpgsqlDbType.Integer),
            },
        });
    }

    protected override async ValueTask<IReadOnlyList<JobRecord>> ReadResultAsync(NpgsqlDataReader reader)
    {
        // The reader stands on the promotion's count; the claimed jobs follow.
        await reader.NextResultAsync().ConfigureAwait(false);
        var claimed = new List<JobRecord>();
        Unreadable = [];
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            if (PgRows.TryReadJob(reader, Unreadable) is { } job)
            {
                claimed.Add(job);
            }
        }

        return claimed;
    }
}
