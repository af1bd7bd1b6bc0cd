namespace JobTracking.Storage;

// The in-memory store: idempotency keys. Every create that carries a key, and the release of a key, happens under one
// lock, so of many racing creates with one key exactly one stores a job; creates without a key never take it.
public sealed partial class InMemoryJobStore
{
    private ValueTask<Guid> CreateKeyed(JobRecord job)
    {
        var key = job.IdempotencyKey!;
        lock (_idempotencyLock)
        {
            if (_jobs.TryGetValue(job.Id, out var held))
            {
                return FoundStored(held, job);
            }

            var (holder, released) = FindHolderLocked(key, _time.GetUtcNow());
            if (holder is not null)
            {
                return new(holder.Id);
            }

            var id = CreateOne(job);
            ReleaseLocked(key, released);
            _keyHolders[key] = _jobs[job.Id];
            return id;
        }
    }

    // A batch with keys: sent again (its own jobs stored), each job stored or deduplicated; else the jobs whose key is
    // free are stored as one batch and the others answered with their key's holder, an earlier job of the batch included.
    private ValueTask<IReadOnlyList<Guid>> CreateManyKeyed(IReadOnlyList<JobRecord> jobs)
    {
        lock (_idempotencyLock)
        {
            var now = _time.GetUtcNow();
            var ids = new Guid[jobs.Count];
            var firstOfKey = new Dictionary<string, int>(StringComparer.Ordinal);
            var toStore = new List<JobRecord>(jobs.Count);
            List<(string Key, Entry Holder)>? released = null;
            var stored = -1;
            var fresh = -1;
            for (var i = 0; i < jobs.Count; i++)
            {
                var job = jobs[i];
                if (_jobs.TryGetValue(job.Id, out var entry))
                {
                    if (entry.Snapshot() is not { } snapshot || !JobStoreArguments.IsIdenticalNewJob(snapshot, job))
                    {
                        throw Exists(jobs, i);
                    }

                    ids[i] = job.Id;
                    stored = stored < 0 ? i : stored;
                    if (job.IdempotencyKey is { } ownKey)
                    {
                        firstOfKey.TryAdd(ownKey, i);
                    }

                    continue;
                }

                if (job.IdempotencyKey is { } key)
                {
                    if (firstOfKey.TryGetValue(key, out var first))
                    {
                        ids[i] = ids[first];
                        continue;
                    }

                    var (holder, expired) = FindHolderLocked(key, now);
                    if (holder is not null)
                    {
                        ids[i] = holder.Id;
                        continue;
                    }

                    if (expired is not null)
                    {
                        (released ??= []).Add((key, expired));
                    }

                    firstOfKey.Add(key, i);
                }

                ids[i] = job.Id;
                fresh = fresh < 0 ? i : fresh;
                toStore.Add(job);
            }

            if (stored >= 0)
            {
                // Sent again after its answer was lost: every job it stored is here; one it would store now is not.
                return fresh < 0 ? new(ids) : throw PartlyStored(jobs, stored, fresh);
            }

            if (toStore.Count > 0)
            {
                CreateManyUnkeyed(toStore);
            }

            foreach (var (key, holder) in released ?? [])
            {
                ReleaseLocked(key, holder);
            }

            foreach (var job in toStore)
            {
                if (job.IdempotencyKey is { } key)
                {
                    _keyHolders[key] = _jobs[job.Id];
                }
            }

            return new(ids);
        }
    }

    // The job that holds a key now, or, when its holder has finished and its window has passed, that former holder.
    private (Entry? Holder, Entry? Expired) FindHolderLocked(string key, DateTimeOffset now)
    {
        if (!_keyHolders.TryGetValue(key, out var holder))
        {
            return (null, null);
        }

        var state = Volatile.Read(ref holder.State);
        if (state == PurgedState)
        {
            _keyHolders.Remove(key);
            return (null, null);
        }

        var holds = !JobLifecycle.IsFinished((JobStatus)(state & StatusMask)) || holder.IdempotentUntil is not { } until || until > now;
        return holds ? (holder, null) : (null, holder);
    }

    // The former holder loses the key: it reads null from now on (no version change, no change in the feed).
    private void ReleaseLocked(string key, Entry? former)
    {
        if (former is null)
        {
            return;
        }

        Mutate(former, 0, static (e, _) =>
        {
            e.IdempotencyKey = null;
            return true;
        });
        if (_keyHolders.TryGetValue(key, out var holder) && ReferenceEquals(holder, former))
        {
            _keyHolders.Remove(key);
        }
    }

    // A purged job gives its key back.
    private void ForgetKey(Entry purged)
    {
        if (purged.IdempotencyKey is not { } key)
        {
            return;
        }

        lock (_idempotencyLock)
        {
            if (_keyHolders.TryGetValue(key, out var holder) && ReferenceEquals(holder, purged))
            {
                _keyHolders.Remove(key);
            }
        }
    }
}
