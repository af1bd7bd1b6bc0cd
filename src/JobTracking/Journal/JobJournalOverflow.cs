using System.Diagnostics;
using JobTracking.Ownership;
using JobTracking.Storage;

namespace JobTracking.Journal;

/// <summary>
/// The log lines of one run that the synchronous logger could not put in the full journal buffer, kept in order until a
/// drain (a safe point, the next awaited line or reject, the end of the run) finds room for them. Any task of the job
/// may write and drain at once: each line reaches the buffer once, and after the lines written before it.
/// </summary>
internal sealed class JobJournalOverflow(JobJournalWriter journal, JobLease lease) : IDisposable
{
    private readonly Queue<JobJournalEntry> _entries = new(); // under its own lock, with the two counts below
    private readonly SemaphoreSlim _drainGate = new(1, 1); // one drain at a time
    private long _queued; // entries ever queued
    private long _drained; // entries taken off the queue once the buffer had them
    private int _count;

    /// <summary>Gets whether lines are waiting for room (or being moved into the buffer).</summary>
    public bool HasEntries => Volatile.Read(ref _count) != 0;

    /// <summary>Puts a line in the buffer if it has room and no line is waiting, else queues it behind the waiting ones.</summary>
    public void Write(JobJournalEntry entry)
    {
        lock (_entries)
        {
            // A line being drained stays in the queue until the buffer has it, so a line never goes ahead of one queued before it.
            if (_entries.Count == 0 && journal.TryWrite(entry, lease))
            {
                return;
            }

            _entries.Enqueue(entry);
            _queued++;
            Volatile.Write(ref _count, _entries.Count);
            AssertCounts();
        }
    }

    /// <summary>Moves the waiting lines into the buffer, waiting for room, and completes once every line queued before the call is there.</summary>
    /// <remarks>
    /// Drains run one at a time: one that finds another under way waits for it, then goes on from where it stopped.
    /// Lines queued after the call are left to the next drain, so tasks that keep logging cannot hold a safe point for ever.
    /// </remarks>
    public async ValueTask DrainAsync()
    {
        long until;
        lock (_entries)
        {
            until = _queued;
            if (_drained >= until)
            {
                return;
            }
        }

        await _drainGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            while (true)
            {
                JobJournalEntry entry;
                lock (_entries)
                {
                    if (_drained >= until)
                    {
                        return;
                    }

                    entry = _entries.Peek();
                }

                await journal.WriteAsync(entry, lease).ConfigureAwait(false);
                lock (_entries)
                {
                    Debug.Assert(ReferenceEquals(_entries.Peek(), entry), "Only the drain holding the gate takes lines off the queue.");
                    _entries.Dequeue();
                    _drained++;
                    Volatile.Write(ref _count, _entries.Count);
                    AssertCounts();
                }
            }
        }
        finally
        {
            _drainGate.Release();
        }
    }

    public void Dispose() => _drainGate.Dispose();

    [Conditional("DEBUG")]
    private void AssertCounts()
    {
        Debug.Assert(Monitor.IsEntered(_entries), "The counts are kept under the queue's lock.");
        Debug.Assert(_entries.Count == _queued - _drained, "The queue holds every line queued and not yet drained.");
    }
}
