namespace JobTracking.Storage;

/// <summary>Where jobs' log lines and rejects are kept: the second of a store's four narrow contracts.</summary>
/// <remarks>
/// <para>History entries (<see cref="JobJournalKind.History"/>) are appended here too, but only to a store that implements
/// <see cref="IJobHistoryStore"/>, which keeps and reads them.</para>
/// <para>Entries are numbered per job and kind from 1 in the order appended. Text round-trips exactly, NUL included; the
/// engine truncates it to <see cref="JobTrackingOptions.MaxJournalTextLength"/> first.</para>
/// <para>A batch may mix jobs. An entry that carries a <see cref="JobJournalEntry.ClaimId"/> is stored only while that claim is
/// its job's current one; the others of the batch are stored regardless. When a store cannot store an entry at all it throws,
/// and stores nothing of the batch: the engine then retries (a transient error) or splits the batch to find and set aside the
/// entry that is refused, so one bad entry never holds up the rest.</para>
/// <para>A page token is the text of the last sequence number read; it is only meaningful for the same job and kind.</para>
/// </remarks>
public interface IJobJournalStore
{
    /// <summary>Appends log lines and rejects, in the given order, numbering each job's log lines and rejects from 1.</summary>
    /// <param name="entries">The entries, possibly of several jobs.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many entries were stored: fewer than given when some carried a claim that is no longer current.</returns>
    ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Reads a page of a job's log, in the order written.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="query">The page to read and the lowest level.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page; empty for a job without log lines.</returns>
    /// <exception cref="ArgumentException">The query is malformed.</exception>
    ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default);

    /// <summary>Reads a page of a job's rejects, in the order written.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="query">The page to read.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page; empty for a job without rejects.</returns>
    /// <exception cref="ArgumentException">The query is malformed.</exception>
    ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default);
}
