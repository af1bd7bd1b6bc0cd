using JobTracking.Storage;
using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>Active jobs whose owner is gone, moved to Interrupted (Pausing ones to Paused, Cancelling ones to Cancelled), and, when asked, interrupted jobs queued again in their place.</summary>
internal sealed class PgReclaim(JobReclaimRequest request, DateTimeOffset? now) : PgWrite<IReadOnlyList<JobReclaimed>>
{
    public override bool RecordsChanges => true;

    public override PgQueueLock QueueLock => request.Resume ? PgQueueLock.Exclusive : PgQueueLock.None;

    /// <summary>Gets the reclaimed rows that could not be read (edited by hand), for the store to fail.</summary>
    public List<UnreadableJob> Unreadable { get; private set; } = [];

    public override void AddTo(NpgsqlBatch batch, PgStatements sql) =>
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.Reclaim)
        {
            Parameters =
            {
                PgRows.Time(now), PgRows.Bool(request.IncludeLiveLeases), PgRows.Text(request.InstanceId), PgRows.Int(request.MaxCount), PgRows.Time(request.At),
                PgRows.Bool(request.Resume),
            },
        });

    protected override async ValueTask<IReadOnlyList<JobReclaimed>> ReadResultAsync(NpgsqlDataReader reader)
    {
        var reclaimed = new List<JobReclaimed>();
        Unreadable = [];
        var columns = reader.FieldCount;
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            if (PgRows.TryReadJob(reader, Unreadable) is { } job)
            {
                reclaimed.Add(new JobReclaimed
                {
                    Job = job,
                    PreviousStatus = StoredRow.Status(reader.GetInt16(columns - 2)),
                    PreviousInstanceId = PgRows.NullableText(reader, columns - 1),
                });
            }
        }

        return reclaimed;
    }
}
