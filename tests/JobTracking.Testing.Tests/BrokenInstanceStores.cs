namespace JobTracking.Testing.Tests;

// Broken stores of IJobInstanceStore: each lists instances the way InstanceKeepingStore does, but for one rule.

/// <summary>A delegating store that also lists instances, correctly: each call under one lock, by the store's clock.</summary>
internal abstract class InstanceKeepingStore(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock), IJobInstanceStore
{
    protected Lock Gate { get; } = new();

    protected List<JobInstanceRecord> Kept { get; } = []; // in the order first heard of

    protected virtual TimeProvider InstanceClock => Clock;

    public virtual async ValueTask RecordHeartbeatAsync(JobInstanceHeartbeat heartbeat, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckHeartbeat(heartbeat);
        await Task.Yield();
        lock (Gate)
        {
            var at = Kept.FindIndex(i => string.Equals(i.InstanceId, heartbeat.InstanceId, StringComparison.Ordinal));
            var record = Record(heartbeat, at < 0 ? null : Kept[at], InstanceClock.GetUtcNow());
            if (at < 0)
            {
                Kept.Add(record);
            }
            else
            {
                Kept[at] = record;
            }
        }
    }

    public virtual ValueTask<JobInstanceList> GetInstancesAsync(CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            return new(new JobInstanceList { Now = Clock.GetUtcNow(), Instances = [.. Kept.OrderBy(i => i.InstanceId, StringComparer.Ordinal)] });
        }
    }

    public virtual ValueTask<bool> RemoveInstanceAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            return new(Kept.RemoveAll(i => string.Equals(i.InstanceId, instanceId, StringComparison.Ordinal)) > 0);
        }
    }

    public virtual ValueTask<int> PurgeInstancesAsync(TimeSpan silentFor, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(silentFor, TimeSpan.Zero);
        lock (Gate)
        {
            var cutoff = Clock.GetUtcNow() - silentFor;
            return new(Kept.RemoveAll(i => i.HeartbeatAt < cutoff));
        }
    }

    /// <summary>The row a heartbeat leaves: the fields given, the start kept, the heartbeat's time now.</summary>
    protected virtual JobInstanceRecord Record(JobInstanceHeartbeat heartbeat, JobInstanceRecord? held, DateTimeOffset now) => new()
    {
        InstanceId = heartbeat.InstanceId,
        Node = heartbeat.Node,
        Version = heartbeat.Version,
        MaxConcurrency = heartbeat.MaxConcurrency,
        RunningJobs = heartbeat.RunningJobs,
        StartedAt = held?.StartedAt ?? now,
        HeartbeatAt = now,
    };
}

/// <summary>Dates every heartbeat as the instance's start.</summary>
internal sealed class InstanceHeartbeatResettingStart(InMemoryJobStore inner, TimeProvider clock) : InstanceKeepingStore(inner, clock)
{
    protected override JobInstanceRecord Record(JobInstanceHeartbeat heartbeat, JobInstanceRecord? held, DateTimeOffset now) =>
        base.Record(heartbeat, null, now);
}

/// <summary>Dates heartbeats by the machine's clock instead of the store's.</summary>
internal sealed class InstanceHeartbeatByTheMachineClock(InMemoryJobStore inner, TimeProvider clock) : InstanceKeepingStore(inner, clock)
{
    protected override TimeProvider InstanceClock => TimeProvider.System;
}

/// <summary>Keeps the node name of an instance's first heartbeat.</summary>
internal sealed class InstanceHeartbeatKeepingTheFirstFields(InMemoryJobStore inner, TimeProvider clock) : InstanceKeepingStore(inner, clock)
{
    protected override JobInstanceRecord Record(JobInstanceHeartbeat heartbeat, JobInstanceRecord? held, DateTimeOffset now) =>
        held is null ? base.Record(heartbeat, null, now) : held with { HeartbeatAt = now, RunningJobs = heartbeat.RunningJobs };
}

/// <summary>Checks whether the instance is listed, then adds it, in two steps: racing first heartbeats list it twice.</summary>
internal sealed class InstanceHeartbeatCheckThenInsert(InMemoryJobStore inner, TimeProvider clock) : InstanceKeepingStore(inner, clock)
{
    private readonly Dictionary<string, TaskCompletionSource> _checked = new(StringComparer.Ordinal); // under Gate

    public override async ValueTask RecordHeartbeatAsync(JobInstanceHeartbeat heartbeat, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckHeartbeat(heartbeat);
        int at;
        TaskCompletionSource? other = null;
        lock (Gate)
        {
            at = Kept.FindIndex(i => string.Equals(i.InstanceId, heartbeat.InstanceId, StringComparison.Ordinal));

            // A first heartbeat holds its insert until another one of the same instance has made its check too (or a
            // second has gone by, when none races it): the window between check and insert, made certain.
            if (at < 0)
            {
                if (_checked.Remove(heartbeat.InstanceId, out var waiting))
                {
                    waiting.TrySetResult();
                }
                else
                {
                    _checked[heartbeat.InstanceId] = other = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }

        if (other is not null)
        {
            try
            {
                await other.Task.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (TimeoutException)
            {
                lock (Gate)
                {
                    _checked.Remove(heartbeat.InstanceId);
                }
            }
        }

        lock (Gate)
        {
            var record = Record(heartbeat, at < 0 ? null : Kept[at], Clock.GetUtcNow());
            if (at < 0)
            {
                Kept.Add(record);
            }
            else
            {
                Kept[at] = record;
            }
        }
    }
}

/// <summary>Lists instances in the order first heard of.</summary>
internal sealed class InstanceListInArrivalOrder(InMemoryJobStore inner, TimeProvider clock) : InstanceKeepingStore(inner, clock)
{
    public override ValueTask<JobInstanceList> GetInstancesAsync(CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            return new(new JobInstanceList { Now = Clock.GetUtcNow(), Instances = [.. Kept] });
        }
    }
}

/// <summary>Forgets the instances silent for exactly the bound too.</summary>
internal sealed class InstancePurgeTakingTheBoundary(InMemoryJobStore inner, TimeProvider clock) : InstanceKeepingStore(inner, clock)
{
    public override ValueTask<int> PurgeInstancesAsync(TimeSpan silentFor, CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            var cutoff = Clock.GetUtcNow() - silentFor;
            return new(Kept.RemoveAll(i => i.HeartbeatAt <= cutoff));
        }
    }
}

/// <summary>Forgets every instance when one is removed.</summary>
internal sealed class InstanceRemoveForgettingAll(InMemoryJobStore inner, TimeProvider clock) : InstanceKeepingStore(inner, clock)
{
    public override ValueTask<bool> RemoveInstanceAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            var held = Kept.Exists(i => string.Equals(i.InstanceId, instanceId, StringComparison.Ordinal));
            Kept.Clear();
            return new(held);
        }
    }
}

/// <summary>Lists instances correctly: the kit must pass it.</summary>
internal sealed class UnbrokenInstanceStore(InMemoryJobStore inner, TimeProvider clock) : InstanceKeepingStore(inner, clock);
