using JobTracking.Storage;
using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>One new job; the jobs started one by one in a batch share one statement (and, when one has an idempotency key, a statement before it that takes the keys no job holds any more and one after it that reads who holds each key).</summary>
internal sealed class PgCreateOne(JobRecord job, DateTimeOffset? now) : PgWrite<Guid>
{
    public override bool RecordsChanges => true;

    public override bool FitsApplicationTransaction => true;

    public override PgGroupKind Group => Kind.Instance;

    public override Guid? GroupJobId => job.Id;

    public JobRecord Job => job;

    private DateTimeOffset? Now => now;

    private sealed class Kind : PgGroupKind
    {
        public static readonly Kind Instance = new();

        public override void AddTo(NpgsqlBatch batch, PgStatements sql, List<PgWrite> writes)
        {
            var jobs = writes.ConvertAll(w => ((PgCreateOne)w).Job);
            var now = ((PgCreateOne)writes[0]).Now;
            var keyed = PgCreate.HasKeys(jobs);
            if (keyed)
            {
                batch.BatchCommands.Add(PgCreate.ReleaseKeys(sql.ReleaseKeysEach, jobs, now));
            }

            batch.BatchCommands.Add(PgCreate.Command(sql.CreateEach, jobs, now));
            if (keyed)
            {
                batch.BatchCommands.Add(PgCreate.KeyHolders(sql, jobs));
            }
        }

        public override async ValueTask ReadAsync(NpgsqlDataReader reader, List<PgWrite> writes)
        {
            var keyed = false;
            foreach (PgCreateOne write in writes)
            {
                keyed |= write.Job.IdempotencyKey is not null;
            }

            if (keyed)
            {
                // The reader stands on the keys' release; the insert's rows follow.
                await reader.NextResultAsync().ConfigureAwait(false);
            }

            // Each job stored now, or found under its id (identical or not).
            var found = new Dictionary<Guid, bool>(writes.Count);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                found[reader.GetGuid(0)] = reader.GetBoolean(1);
            }

            var holders = keyed && await reader.NextResultAsync().ConfigureAwait(false)
                ? await PgCreate.ReadHoldersAsync(reader, writes.Count).ConfigureAwait(false)
                : null;
            for (var i = 0; i < writes.Count; i++)
            {
                var write = (PgCreateOne)writes[i];
                if (found.TryGetValue(write.Job.Id, out var same) ? same : holders?[i] is not null)
                {
                    write.SetResult(same ? write.Job.Id : holders![i]!.Value);
                }
                else
                {
#pragma warning disable CA2208 // The error names the parameter of the store's CreateAsync, whose job this is.
                    write.SetError(new ArgumentException(
                        $"Another job with id '{write.Job.Id}' already exists (a create sent again finds its own job identical: same type, display name, parameters, launched-by, priority, concurrency key, idempotency key, times and timeout); nothing was stored.",
                        "job"));
#pragma warning restore CA2208
                }
            }
        }
    }
}
