using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>Finished jobs deleted with their journals, a bounded number at a time.</summary>
internal sealed class PgPurge(DateTimeOffset endedBefore, int maxCount) : PgWrite<int>
{
    public override bool RecordsChanges => false;

    public override void AddTo(NpgsqlBatch batch, PgStatements sql) =>
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.Purge) { Parameters = { PgRows.Time(endedBefore), PgRows.Int(maxCount), PgRows.Long(endedBefore.UtcTicks) } });

    protected override async ValueTask<int> ReadResultAsync(NpgsqlDataReader reader) => (int)await PgWrites.ReadCount(reader).ConfigureAwait(false);
}
