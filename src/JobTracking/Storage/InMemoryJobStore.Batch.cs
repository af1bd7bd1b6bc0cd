using System.Diagnostics;

namespace JobTracking.Storage;

public sealed partial class InMemoryJobStore
{
    /// <inheritdoc/>
    /// <exception cref="JobQueueFullException">The queue cannot hold every queued job of the batch; nothing was stored.</exception>
    public ValueTask<IReadOnlyList<Guid>> CreateManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckNewJobs(jobs);
        cancellationToken.ThrowIfCancellationRequested();
        if (jobs.Count == 0)
        {
            return new([]);
        }

        for (var i = 0; i < jobs.Count; i++)
        {
            if (jobs[i].IdempotencyKey is not null)
            {
                return CreateManyKeyed(jobs);
            }
        }

        return new(CreateManyUnkeyed(jobs));
    }

    private Guid[] CreateManyUnkeyed(IReadOnlyList<JobRecord> jobs)
    {

        // The common clash is caught before anything is visible; the adds below still roll back one that races in. A batch
        // sent again after its answer was lost finds every one of its jobs stored and identical: done.
        var held = -1;
        var missing = -1;
        for (var i = 0; i < jobs.Count; i++)
        {
            if (!_jobs.TryGetValue(jobs[i].Id, out var entry))
            {
                missing = missing < 0 ? i : missing;
                continue;
            }

            if (entry.Snapshot() is not { } stored || !JobStoreArguments.IsIdenticalNewJob(stored, jobs[i]))
            {
                throw Exists(jobs, i);
            }

            held = held < 0 ? i : held;
        }

        if (held >= 0)
        {
            return missing < 0 ? Ids(jobs) : throw PartlyStored(jobs, held, missing);
        }

        var queued = 0;
        for (var i = 0; i < jobs.Count; i++)
        {
            queued += jobs[i].Status == JobStatus.Queued ? 1 : 0;
        }

        // Every slot the batch needs, or none.
        if (queued != 0 && Interlocked.Add(ref _queuedCount, queued) > _queueCapacity)
        {
            Interlocked.Add(ref _queuedCount, -queued);
            throw new JobQueueFullException(_queueCapacity);
        }

        // Added busy, so no command moves a job, and no reader sees one, before the whole batch is in and in the feed.
        var entries = new Entry[jobs.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = new Entry(jobs[i]);
            entry.State |= BusyBit;
            if (!_jobs.TryAdd(entry.Id, entry))
            {
                RollBack(entries.AsSpan(0, i), queued);
                throw Exists(jobs, i);
            }

            entries[i] = entry;
        }

        foreach (var entry in entries)
        {
            var state = entry.State;
            var status = (JobStatus)(state & StatusMask);
            Record(entry, JobEventKind.Created, status, status, state >> VersionShift, entry.CreatedAt);
        }

        foreach (var entry in entries)
        {
            Debug.Assert((entry.State & BusyBit) != 0, "A job of the batch was released before the batch was recorded.");
            Volatile.Write(ref entry.State, entry.State & ~BusyBit);
        }

        lock (_indexLock)
        {
            foreach (var entry in entries)
            {
                AddToIndexLocked(entry);
            }
        }

        lock (_queueLock)
        {
            // In the order given, one sequence number each, so equal priorities are claimed in the batch's order.
            for (var i = 0; i < entries.Length; i++)
            {
                if (jobs[i].Status == JobStatus.Queued)
                {
                    EnqueueLocked(entries[i], jobs[i].Version);
                }
            }
        }

        return Ids(jobs);
    }

    private static Guid[] Ids(IReadOnlyList<JobRecord> jobs)
    {
        var ids = new Guid[jobs.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = jobs[i].Id;
        }

        return ids;
    }

    private static ArgumentException Exists(IReadOnlyList<JobRecord> jobs, int index) =>
        new($"Job {index} of the batch: another job with id '{jobs[index].Id}' already exists; nothing was stored.", nameof(jobs));

    private static ArgumentException PartlyStored(IReadOnlyList<JobRecord> jobs, int held, int missing) =>
        new($"Job {held} of the batch ('{jobs[held].Id}') is stored already but job {missing} ('{jobs[missing].Id}') is not: a batch is stored whole or not at all, so this is not a stored batch sent again; nothing was stored.", nameof(jobs));

    // Removes the entries a failed batch added; each was busy throughout, so nobody moved or read it, and it ends purged.
    private void RollBack(ReadOnlySpan<Entry> added, int queued)
    {
        foreach (var entry in added)
        {
            _jobs.TryRemove(new KeyValuePair<Guid, Entry>(entry.Id, entry));
            Volatile.Write(ref entry.State, PurgedState);
        }

        if (queued != 0)
        {
            Interlocked.Add(ref _queuedCount, -queued);
        }
    }
}
