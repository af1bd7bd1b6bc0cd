using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace JobTracking.PostgreSql;

/// <summary>Starts and commands jobs in the transaction of an Entity Framework Core <see cref="DbContext"/> on PostgreSQL.</summary>
public static class EntityFrameworkCoreJobRunnerExtensions
{
    /// <summary>
    /// Gets a runner whose starts, drafts and commands are written in <paramref name="context"/>'s current transaction
    /// (begun with <c>context.Database.BeginTransactionAsync()</c>): they commit with the entities the context saves, and
    /// a rollback leaves no job, no change and no event. See <see cref="PostgreSqlJobRunnerExtensions.InTransaction"/>.
    /// </summary>
    /// <param name="runner">The application's runner (from the services), on a PostgreSQL job store of the same database.</param>
    /// <param name="context">A context of Npgsql's provider with a transaction begun and not yet ended.</param>
    /// <returns>A runner that writes in the context's transaction; use it until the transaction ends.</returns>
    /// <exception cref="ArgumentException">The context has no transaction, or is not on Npgsql's provider, or its transaction cannot carry the store's writes (ended, closed, another database).</exception>
    /// <exception cref="InvalidOperationException">The runner's job store is not a PostgreSQL store.</exception>
    public static IJobRunner InTransaction(this IJobRunner runner, DbContext context)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(context);
        var transaction = context.Database.CurrentTransaction
            ?? throw new ArgumentException(
                "The context has no transaction: begin one (context.Database.BeginTransactionAsync()), start the jobs, save the changes, then commit it. "
                + "Without a transaction, SaveChanges commits on its own and the jobs could not commit with it.",
                nameof(context));
        return transaction.GetDbTransaction() is NpgsqlTransaction npgsql
            ? runner.InTransaction(npgsql)
            : throw new ArgumentException(
                $"The context's transaction is a {transaction.GetDbTransaction().GetType().Name}: jobs can be written only in a transaction of Npgsql's provider (UseNpgsql) on the job store's database.",
                nameof(context));
    }
}
