using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>A draft's new parameters and display name.</summary>
internal sealed class PgUpdateDraft(Guid jobId, long expectedVersion, string parameters, string displayName, DateTimeOffset? now) : PgWrite<bool>
{
    public override bool RecordsChanges => true;

    public override bool FitsApplicationTransaction => true;

    public override void AddTo(NpgsqlBatch batch, PgStatements sql) =>
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.UpdateDraft)
        {
            Parameters = { PgRows.Text(parameters), PgRows.Text(displayName), PgRows.Uuid(jobId), PgRows.Long(expectedVersion), PgRows.Time(now) },
        });

    protected override ValueTask<bool> ReadResultAsync(NpgsqlDataReader reader) => PgWrites.ReadApplied(reader);
}
