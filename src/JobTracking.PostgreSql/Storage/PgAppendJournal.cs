using JobTracking.Storage;
using Npgsql;
using NpgsqlTypes;

namespace JobTracking.PostgreSql.Storage;

/// <summary>Log lines, rejects and history entries; the journal batches of a batch share one statement.</summary>
internal sealed class PgAppendJournal(IReadOnlyList<JobJournalEntry> entries) : PgWrite<int>
{
    public override bool RecordsChanges => false;

    public override bool FitsApplicationTransaction => true;

    public override PgGroupKind Group => Kind.Instance;

    private IReadOnlyList<JobJournalEntry> Entries => entries;

    private sealed class Kind : PgGroupKind
    {
        public static readonly Kind Instance = new();

        public override void AddTo(NpgsqlBatch batch, PgStatements sql, List<PgWrite> writes)
        {
            var n = 0;
            foreach (PgAppendJournal write in writes)
            {
                n += write.Entries.Count;
            }

            var jobs = new Guid[n];
            var claims = new Guid?[n];
            var kinds = new short[n];
            var at = new DateTime[n];
            var levels = new short[n];
            var texts = new string?[n];
            var numbers = new long[n];
            var reasons = new string?[n];
            var ops = new int[n];
            var i = 0;
            for (var op = 0; op < writes.Count; op++)
            {
                foreach (var entry in ((PgAppendJournal)writes[op]).Entries)
                {
                    jobs[i] = entry.JobId;
                    claims[i] = entry.ClaimId;
                    kinds[i] = (short)entry.Kind;
                    at[i] = entry.At.UtcDateTime;
                    levels[i] = (short)entry.Level;
                    texts[i] = PgText.Store(entry.Text);
                    numbers[i] = entry.RecordNumber;
                    reasons[i] = PgText.Store(entry.Reason ?? string.Empty);
                    ops[i++] = op;
                }
            }

            // Each job's entries are numbered on from its last stored number: appends to one job by transactions that commit
            // at the same time take their turns under a lock per job, taken in a statement of its own so the append's
            // snapshot sees the entries of the one before it.
            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.LockJournals) { Parameters = { PgRows.Array(jobs, NpgsqlDbType.Uuid) } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql.AppendJournal)
            {
                Parameters =
                {
                    PgRows.Array(jobs, NpgsqlDbType.Uuid), PgRows.Array(claims, NpgsqlDbType.Uuid), PgRows.Array(kinds, NpgsqlDbType.Smallint),
                    PgRows.Array(at, NpgsqlDbType.TimestampTz), PgRows.Array(levels, NpgsqlDbType.Smallint), PgRows.Array(texts, NpgsqlDbType.Text),
                    PgRows.Array(numbers, NpgsqlDbType.Bigint), PgRows.Array(reasons, NpgsqlDbType.Text), PgRows.Array(ops, NpgsqlDbType.Integer),
                },
            });
        }

        public override async ValueTask ReadAsync(NpgsqlDataReader reader, List<PgWrite> writes)
        {
            // The reader stands on the locks' result; the append's is next.
            await reader.NextResultAsync().ConfigureAwait(false);
            var stored = new int[writes.Count];
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                stored[reader.GetInt32(0)] = (int)reader.GetInt64(1);
            }

            for (var op = 0; op < writes.Count; op++)
            {
                ((PgAppendJournal)writes[op]).SetResult(stored[op]);
            }
        }
    }
}
