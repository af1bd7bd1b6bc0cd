namespace JobTracking.PostgreSql.Storage;

/// <summary>
/// How the change feed's sequence numbers are made from its rows: a row's writing transaction (its 64-bit id) times
/// 2^<see cref="PositionBits"/>, plus the row's position among that transaction's changes (1, 2, ...).
/// </summary>
/// <remarks>
/// <para>Readers read only rows whose transaction is older than the oldest transaction still running
/// (<c>pg_snapshot_xmin(pg_current_snapshot())</c>): every such transaction has ended, so no row can appear there later, and a
/// transaction that commits later has a larger id than any row read. The numbers are therefore increasing in the order
/// readers find the rows, whichever order the transactions committed in, without any lock held through a commit.</para>
/// <para>The price: a transaction that holds an id and stays open (anywhere in the cluster, in any database) holds the
/// feed back until it ends: changes committed after it started are stored, but readers see them only once it ends. The
/// store's own transactions last one round trip; an application's long writing transaction, or one left idle, is what
/// delays the feed (set <c>idle_in_transaction_session_timeout</c>).</para>
/// <para>20 bits leave 43 for the transaction id: 8.8 trillion transactions, 55 years at 5,000 write transactions per
/// second; a transaction records at most <see cref="MaxChangesPerTransaction"/> changes (the writer keeps its batches
/// under it).</para>
/// </remarks>
internal static class PgFeed
{
    /// <summary>The bits of a sequence number that hold the position within the transaction.</summary>
    public const int PositionBits = 20;

    /// <summary>The most changes one transaction may record.</summary>
    public const int MaxChangesPerTransaction = (1 << PositionBits) - 1;

    /// <summary>The transaction part of a sequence number.</summary>
    public static long Transaction(long sequence) => sequence >> PositionBits;
}
