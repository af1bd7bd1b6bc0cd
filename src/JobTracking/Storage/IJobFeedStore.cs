namespace JobTracking.Storage;

/// <summary>The change feed: every change a store makes to a job, in the order it made them. The fourth of a store's narrow contracts.</summary>
/// <remarks>
/// <para>A store records a change in the same atomic step as the change itself: the creation of a job, every status
/// transition (claims and reclaims included), every draft edit and every stored report (<see cref="IJobStore.SaveProgressAsync"/>).
/// Each change gets a sequence number, store-wide and increasing in the order the changes became visible: a reader that
/// has read every change up to a sequence number never later finds a smaller one. Sequence numbers start at 1 and may
/// have gaps. Per job, changes carry the job's version, so a job's status changes are in version order with no gap.</para>
/// <para>A lease renewal and a purge are not changes. A refused write records nothing.</para>
/// <para>The store keeps its feed for a bounded time or number of changes and says where it starts
/// (<see cref="JobFeedRead.FirstSequence"/>), so a reader that fell behind knows how much it lost.</para>
/// <para>Events, waits and the pause and cancel signals that reach a running job all read the feed; with a store
/// several processes share, that is how one process learns what another did.</para>
/// </remarks>
public interface IJobFeedStore
{
    /// <summary>Reads the changes whose sequence number is above <paramref name="afterSequence"/>, oldest first, as many as fit in <paramref name="buffer"/>.</summary>
    /// <param name="afterSequence">The last sequence number the reader has; 0 to read from the start of the feed.</param>
    /// <param name="buffer">Where the changes are written, from its start.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many changes were written, and where the feed starts and ends now.</returns>
    ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default);

    /// <summary>Completes when the feed may hold a change above <paramref name="afterSequence"/>: at once when it already does, otherwise when a change is recorded (or, for a store shared by several processes, at the latest after the store's poll interval).</summary>
    /// <remarks>It may complete without a new change; a reader always reads to find out.</remarks>
    /// <param name="afterSequence">The last sequence number the reader has.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when it is worth reading again.</returns>
    ValueTask WaitForChangesAsync(long afterSequence, CancellationToken cancellationToken = default);
}
