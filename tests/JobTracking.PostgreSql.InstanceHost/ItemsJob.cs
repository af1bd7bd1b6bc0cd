// The job type the instance hosts run, and the side tables it writes; the multi-process tests compile this file too, to
// launch jobs of the same type and read what the hosts recorded.
using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using JobTracking;
using Npgsql;

namespace JobTracking.PostgreSql.InstanceHost;

internal sealed record ItemsParameters
{
    /// <summary>Gets the number of items the job processes.</summary>
    [Range(1, 100_000)]
    public int Items { get; init; } = 20;

    /// <summary>Gets how long each item's work takes.</summary>
    [Range(0, 10_000)]
    public int MillisecondsPerItem { get; init; } = 2;

    /// <summary>Gets how many items are processed between two checkpoints.</summary>
    [Range(1, 100_000)]
    public int CheckpointEvery { get; init; } = 5;

    /// <summary>
    /// Gets the instance on which the job, once it has saved its first checkpoint, waits until it is cancelled or its
    /// process dies; on any other instance it runs straight through. A test that kills that instance knows it was mid-job.
    /// </summary>
    [StringLength(64)]
    public string? HoldOn { get; init; }
}

/// <summary>
/// Processes <see cref="ItemsParameters.Items"/> items. The checkpoint is the index of the next item to process, saved
/// every <see cref="ItemsParameters.CheckpointEvery"/> items at a safe point. A run that starts from a checkpoint records
/// it in the resumes table; a job told to hold on this instance waits after its first checkpoint until it is cancelled;
/// the last item records the job's completion in the completions table with a plain INSERT in its own short
/// transaction, right before the job returns, so a job whose last item ran twice shows two rows.
/// </summary>
internal sealed class ItemsJob(SideTables side, TimeProvider time) : JobDefinition<ItemsParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<ItemsParameters> context)
    {
        var p = context.Parameters;
        var from = context.GetCheckpoint<int>();
        if (from > 0)
        {
            await side.RecordResumeAsync(context.JobId, from, context.CancellationToken);
        }

        for (var item = from; item < p.Items; item++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(p.MillisecondsPerItem), time, context.CancellationToken); // the item's work
            context.ReportProgress(item + 1, p.Items);
            if (item == p.Items - 1)
            {
                await side.RecordCompletionAsync(context.JobId, CancellationToken.None);
            }
            else if ((item + 1) % p.CheckpointEvery == 0)
            {
                context.SetCheckpoint(item + 1);
                await context.SafePointAsync();
                if (item + 1 == p.CheckpointEvery && p.HoldOn == side.Instance)
                {
                    var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    await using (context.CancellationToken.Register(() => cancelled.TrySetCanceled(context.CancellationToken)))
                    {
                        await cancelled.Task;
                    }
                }
            }
        }
    }
}

/// <summary>
/// The side tables in the store's schema where the jobs record what they did: <c>completions(job_id, instance, at)</c>
/// and <c>resumes(job_id, instance, from_item, at)</c>, neither with a unique constraint, each row written in a
/// transaction of its own and stamped with the database's clock.
/// </summary>
internal sealed partial class SideTables(NpgsqlDataSource dataSource, string schema, string instance)
{
    public string Instance => instance;

    /// <summary>Creates the schema and the side tables when missing; several hosts may do it at once.</summary>
    public static async Task EnsureCreatedAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        var s = Quote(schema);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            $"""
            SELECT pg_advisory_xact_lock(hashtext('jobtracking side tables {schema}'));
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE IF NOT EXISTS {s}.completions (job_id uuid NOT NULL, instance text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
            CREATE TABLE IF NOT EXISTS {s}.resumes (job_id uuid NOT NULL, instance text NOT NULL, from_item integer NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
            """,
            connection,
            transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task RecordCompletionAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"INSERT INTO {Quote(schema)}.completions (job_id, instance) VALUES ($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = instance });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RecordResumeAsync(Guid jobId, int fromItem, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"INSERT INTO {Quote(schema)}.resumes (job_id, instance, from_item) VALUES ($1, $2, $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = instance });
        command.Parameters.Add(new NpgsqlParameter { Value = fromItem });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The schema as a quoted identifier, after the same check the store's options make.</summary>
    public static string Quote(string schema) =>
        SchemaName().IsMatch(schema) ? "\"" + schema + "\"" : throw new ArgumentException($"'{schema}' is not a schema name the store accepts.", nameof(schema));

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();
}
