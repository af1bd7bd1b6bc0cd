using JobTracking.PostgreSql.Storage;
using JobTracking.Running;
using Npgsql;

namespace JobTracking.PostgreSql;

/// <summary>Starts and commands jobs in the application's own PostgreSQL transaction.</summary>
public static class PostgreSqlJobRunnerExtensions
{
    /// <summary>
    /// Gets a runner whose starts, drafts and commands are written in <paramref name="transaction"/>: nothing is visible to
    /// any instance until the application commits it, and a rollback leaves no trace (no job, no change in the feed, no
    /// event, no history entry).
    /// </summary>
    /// <remarks>
    /// <para>Everything <see cref="IJobRunner"/> checks is checked the same way, before anything is written. After the commit,
    /// an instance claims the job as quickly as any other (this process sees the commit within a few milliseconds, at most
    /// 250 ms for a transaction held open long, and tells every instance).
    /// No store-wide lock is taken, so a transaction held open holds up no other job.</para>
    /// <para>The calls use the transaction's connection, so make them one at a time, as any command on that connection.
    /// A command acts on the job as committed before the transaction (a job started in the same transaction cannot be
    /// commanded before the commit); a command on an active job (Running, Pausing, Cancelling, ShuttingDown) is refused, as
    /// its row would stay locked until the commit and hold up the run's own writes. Waiting for a job in the transaction
    /// would wait for the commit it holds back, so <see cref="IJobRunner.WaitForStatusAsync"/> is refused: commit, then
    /// wait with the runner itself.</para>
    /// <para>Each write runs under a savepoint of its own: if the server refuses it, the call throws a
    /// <see cref="JobTrackingException"/> and the transaction goes on as it was.</para>
    /// </remarks>
    /// <param name="runner">The application's runner (from the services), on a PostgreSQL job store.</param>
    /// <param name="transaction">The application's open transaction, on the store's database.</param>
    /// <returns>A runner that writes in <paramref name="transaction"/>; use it until the transaction ends.</returns>
    /// <exception cref="ArgumentException"><paramref name="transaction"/> has ended, its connection is not open, or it is on another database; or <paramref name="runner"/> is not the runner of the services.</exception>
    /// <exception cref="InvalidOperationException">The runner's job store is not a PostgreSQL store.</exception>
    public static IJobRunner InTransaction(this IJobRunner runner, NpgsqlTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(transaction);
        if (runner is PgTransactionRunner scoped)
        {
            runner = scoped.Inner;
        }

        if (runner is not JobRunner core)
        {
            throw new ArgumentException($"The runner is a {runner.GetType().Name}; only the IJobRunner of the services (AddJobTracking) can write in a transaction.", nameof(runner));
        }

        if (core.Engine.Store is not PostgreSqlJobStore store)
        {
            throw new InvalidOperationException(
                $"The job store is a {core.Engine.Store.GetType().Name}: jobs can be written in a PostgreSQL transaction only on the PostgreSQL store (UsePostgreSql).");
        }

        PgApplicationTransaction.Check(store, transaction, nameof(transaction));
        return new PgTransactionRunner(core, store, transaction);
    }
}
