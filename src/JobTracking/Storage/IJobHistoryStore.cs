namespace JobTracking.Storage;

/// <summary>Where jobs' history entries are kept: an optional narrow contract of a journal store. The engine records commands, reclaims and retries only in a store that implements it.</summary>
/// <remarks>
/// <para>History entries reach the store through <see cref="IJobJournalStore.AppendJournalAsync"/> with
/// <see cref="JobJournalKind.History"/>, mixed with log lines and rejects, under the rules of that call (a claim, when the
/// entry carries one; a batch refused whole). The store keeps them apart: numbered per job from 1 in the order appended,
/// never read back as log lines or rejects, their time to the microsecond and their text exactly (NUL included), and
/// deleted with their job by <see cref="IJobQueryStore.PurgeAsync"/>.</para>
/// <para>A SQL store keeps them in a table of their own (job id, number, time, text), as the SQLite and PostgreSQL stores do.</para>
/// </remarks>
public interface IJobHistoryStore
{
    /// <summary>Reads a page of a job's history entries, in the order appended.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="query">The page to read (<see cref="JournalQuery.MinimumLevel"/> is ignored).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page; empty for a job without history entries.</returns>
    /// <exception cref="ArgumentException">The query is malformed.</exception>
    ValueTask<JournalPage<JobHistoryRecord>> ReadHistoryAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default);
}
