using JobTracking.Storage;
using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>One new job; the jobs started one by one in a batch share one statement.</summary>
internal sealed class PgCreateOne(JobRecord job) : PgWrite<bool>
{
    public override bool RecordsChanges => true;

    public override PgGroupKind Group => Kind.Instance;

    public override Guid? GroupJobId => job.Id;

    public JobRecord Job => job;

    private sealed class Kind : PgGroupKind
    {
        public static readonly Kind Instance = new();

        public override void AddTo(NpgsqlBatch batch, PgStatements sql, List<PgWrite> writes) =>
            batch.BatchCommands.Add(PgCreate.Command(sql.CreateEach, writes.ConvertAll(w => ((PgCreateOne)w).Job)));

        public override async ValueTask ReadAsync(NpgsqlDataReader reader, List<PgWrite> writes)
        {
            var stored = await PgWrites.ReadIds(reader).ConfigureAwait(false);
            foreach (PgCreateOne write in writes)
            {
                if (stored.Contains(write.Job.Id))
                {
                    write.SetResult(true);
                }
                else
                {
#pragma warning disable CA2208 // The error names the parameter of the store's CreateAsync, whose job this is.
                    write.SetError(new ArgumentException(
                        $"Another job with id '{write.Job.Id}' already exists (a create sent again finds its own job identical: same type, display name, parameters, launched-by, priority, concurrency key and creation time); nothing was stored.",
                        "job"));
#pragma warning restore CA2208
                }
            }
        }
    }
}
