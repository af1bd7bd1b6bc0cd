using JobTracking.Storage;
using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>
/// The application's open transaction a store writes in, for the calls of one asynchronous flow (see
/// <see cref="PostgreSqlJobRunnerExtensions.InTransaction"/>): the writes that fit (<see cref="PgWrite.FitsApplicationTransaction"/>)
/// are sent on the transaction's connection; this process watches the transaction, and once it has committed numbers its
/// changes, which tells every instance.
/// </summary>
internal sealed class PgApplicationTransaction
{
    private static readonly AsyncLocal<PgApplicationTransaction?> Current = new();

    private readonly NpgsqlTransaction _transaction;
    private bool _active = true;

    private PgApplicationTransaction(PostgreSqlJobStore store, NpgsqlTransaction transaction)
    {
        Store = store;
        _transaction = transaction;
    }

    /// <summary>Gets the store whose writes go through the transaction.</summary>
    public PostgreSqlJobStore Store { get; }

    /// <summary>Gets the transaction the current flow writes <paramref name="store"/>'s jobs in, or <see langword="null"/>.</summary>
    public static PgApplicationTransaction? For(PostgreSqlJobStore store) =>
        Current.Value is { _active: true } current && ReferenceEquals(current.Store, store) ? current : null;

    /// <summary>Makes the current flow write <paramref name="store"/>'s jobs in <paramref name="transaction"/> until the returned scope is disposed.</summary>
    public static IDisposable Enter(PostgreSqlJobStore store, NpgsqlTransaction transaction)
    {
        var previous = Current.Value;
        var entered = new PgApplicationTransaction(store, transaction);
        Current.Value = entered;
        var flow = StoreTransactionFlow.Enter();
        return new Scope(() =>
        {
            entered._active = false;
            flow.Dispose();
            Current.Value = previous;
        });
    }

    /// <summary>Checks that <paramref name="transaction"/> can carry writes of <paramref name="store"/>: open, not ended, on the store's server and database.</summary>
    /// <exception cref="ArgumentException">It cannot; nothing was written.</exception>
    public static void Check(PostgreSqlJobStore store, NpgsqlTransaction transaction, string parameterName)
    {
        var connection = transaction.Connection ?? throw Ended(null);
        using (var probe = connection.CreateBatch())
        {
            Attach(probe, transaction);
        }

        if (connection.FullState != System.Data.ConnectionState.Open)
        {
            throw new ArgumentException($"The transaction's connection is {connection.FullState}, not open: start the jobs in an open transaction.", parameterName);
        }

        // The host is not compared: "localhost" and "127.0.0.1" name one server.
        var expected = new NpgsqlConnectionStringBuilder(store.ConnectionString);
        if (!string.Equals(connection.Database, expected.Database, StringComparison.Ordinal) || connection.Port != expected.Port)
        {
            throw new ArgumentException(
                $"The transaction is on database '{connection.Database}' (port {connection.Port}), and the job store on '{expected.Database}' (port {expected.Port}): "
                + "a job can be started only in a transaction of the store's own database.",
                parameterName);
        }
    }

    /// <summary>Sends <paramref name="write"/> in the transaction, has the transaction watched, and returns the write's result.</summary>
    /// <remarks>
    /// The write runs under a savepoint of its own: when the server refuses it, the savepoint is rolled back and the
    /// application's transaction goes on as it was. A transaction that has ended is found by the savepoint itself, which
    /// PostgreSQL refuses outside a transaction block, so nothing is ever written outside the application's transaction.
    /// </remarks>
    /// <exception cref="ArgumentException">The transaction has ended; nothing was written.</exception>
    /// <exception cref="JobTrackingException">The server refused the write; nothing was written.</exception>
    public async Task<T> WriteAsync<T>(PgWrite<T> write, PgStatements sql, CancellationToken cancellationToken)
    {
        var connection = _transaction.Connection ?? throw Ended(null);
        await using var batch = connection.CreateBatch();
        Attach(batch, _transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SAVEPOINT " + Savepoint));
        var writes = new List<PgWrite>(1) { write };
        if (write.Group is { } group)
        {
            group.AddTo(batch, sql, writes);
        }
        else
        {
            write.AddTo(batch, sql);
        }

        if (write.RecordsChanges)
        {
            // The transaction's id: this process watches it, and numbers its changes (which tells every instance) once it
            // has committed (PgCommitWatcher says why not a NOTIFY here).
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_current_xact_id()::text"));
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("RELEASE SAVEPOINT " + Savepoint));
        ulong? transactionId = null;
        try
        {
            // The reader stands on the first statement with rows: the write's (the savepoint has none).
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (write.Group is { } kind)
            {
                await kind.ReadAsync(reader, writes).ConfigureAwait(false);
            }
            else
            {
                await write.ReadAsync(reader).ConfigureAwait(false);
            }

            if (write.RecordsChanges)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                transactionId = ulong.Parse(reader.GetString(0), System.Globalization.CultureInfo.InvariantCulture);
            }

            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.NoActiveSqlTransaction)
        {
            throw Ended(ex);
        }
        catch (NpgsqlException ex)
        {
            var kept = await RollBackToSavepointAsync(connection).ConfigureAwait(false);
            var what = ex is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable }
                ? $"the job store's tables were not found through the transaction's connection (schema '{Store.Schema}'): is it the store's database, and has the store been opened? ({ex.Message})"
                : ex.Message;
            throw new JobTrackingException(
                $"The job could not be written in the application's transaction: {what} Nothing was written; "
                + (kept ? "the transaction goes on as it was." : "the transaction is no longer usable: roll it back."),
                ex);
        }

        if (transactionId is { } id)
        {
            Store.WatchCommit(id);
        }

        write.Complete();
        return await write.Task.ConfigureAwait(false);
    }

    private const string Savepoint = "jobtracking_write";

    // Npgsql refuses a transaction it knows has ended (committed or rolled back) here, before anything is sent.
    private static void Attach(NpgsqlBatch batch, NpgsqlTransaction transaction)
    {
        try
        {
            batch.Transaction = transaction;
        }
        catch (InvalidOperationException ex)
        {
            throw Ended(ex);
        }
    }

#pragma warning disable CA2208 // Names the parameter of InTransaction, whose transaction it is.
    private static ArgumentException Ended(Exception? inner) =>
        new("The transaction has ended (committed or rolled back): nothing was written. Start the jobs in a transaction that is still open.", "transaction", inner);
#pragma warning restore CA2208

    // Undoes the refused write alone; false when the transaction cannot go on (its connection broke).
    private async Task<bool> RollBackToSavepointAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var command = new NpgsqlCommand($"ROLLBACK TO SAVEPOINT {Savepoint}; RELEASE SAVEPOINT {Savepoint}", connection, _transaction);
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            return false;
        }
    }

    private sealed class Scope(Action end) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                end();
            }
        }
    }
}
