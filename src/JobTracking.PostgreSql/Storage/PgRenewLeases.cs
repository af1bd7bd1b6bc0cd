using JobTracking.Storage;
using Npgsql;
using NpgsqlTypes;

namespace JobTracking.PostgreSql.Storage;

/// <summary>Longer leases for an instance's claims that are still current.</summary>
internal sealed class PgRenewLeases(JobLeaseRenewal renewal, DateTimeOffset? now) : PgWrite<IReadOnlyCollection<Guid>>
{
    public override bool RecordsChanges => false;

    public override void AddTo(NpgsqlBatch batch, PgStatements sql)
    {
        var jobs = new Guid[renewal.Claims.Count];
        var claims = new Guid[renewal.Claims.Count];
        var i = 0;
        foreach (var (job, claim) in renewal.Claims)
        {
            jobs[i] = job;
            claims[i++] = claim;
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.RenewLeases)
        {
            Parameters = { PgRows.Time(now), PgRows.Interval(renewal.LeaseDuration), PgRows.Array(jobs, NpgsqlDbType.Uuid), PgRows.Array(claims, NpgsqlDbType.Uuid) },
        });
    }

    protected override async ValueTask<IReadOnlyCollection<Guid>> ReadResultAsync(NpgsqlDataReader reader)
    {
        var renewed = new List<Guid>(renewal.Claims.Count);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            renewed.Add(reader.GetGuid(0));
        }

        return renewed;
    }
}
