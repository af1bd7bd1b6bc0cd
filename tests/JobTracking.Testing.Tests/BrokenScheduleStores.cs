namespace JobTracking.Testing.Tests;

// Broken stores of IJobScheduleStore: each keeps schedules the way ScheduleKeepingStore does, but for one rule.

/// <summary>A delegating store that also keeps schedules, correctly: each write checks and applies under one lock.</summary>
internal abstract class ScheduleKeepingStore(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock), IJobScheduleStore
{
    protected Lock Gate { get; } = new();

    protected List<JobScheduleRecord> Saved { get; } = []; // in the order they were first saved

    public virtual ValueTask<IReadOnlyList<JobScheduleRecord>> GetSchedulesAsync(CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            return new([.. Saved.OrderBy(s => s.Id, StringComparer.Ordinal)]);
        }
    }

    public ValueTask<JobScheduleRecord?> GetScheduleAsync(string scheduleId, CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            return new(Find(scheduleId));
        }
    }

    public virtual async ValueTask<bool> TrySaveScheduleAsync(JobScheduleRecord schedule, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckSchedule(schedule);
        await Task.Yield();
        lock (Gate)
        {
            if (!Accepts(Find(schedule.Id), schedule))
            {
                return false;
            }

            Put(Stored(schedule));
            return true;
        }
    }

    public virtual ValueTask<bool> TryDeleteScheduleAsync(string scheduleId, long expectedVersion, CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            var held = Find(scheduleId);
            return new(held is not null && held.Version == expectedVersion && Saved.Remove(held));
        }
    }

    /// <summary>Whether a save applies: a create when the id is free, an update when the stored version is the one before.</summary>
    protected virtual bool Accepts(JobScheduleRecord? held, JobScheduleRecord schedule) =>
        schedule.Version == 1 ? held is null : held?.Version == schedule.Version - 1;

    /// <summary>What is kept of a saved schedule.</summary>
    protected virtual JobScheduleRecord Stored(JobScheduleRecord schedule) => schedule;

    protected JobScheduleRecord? Find(string id) => Saved.Find(s => string.Equals(s.Id, id, StringComparison.Ordinal));

    protected void Put(JobScheduleRecord schedule)
    {
        var at = Saved.FindIndex(s => string.Equals(s.Id, schedule.Id, StringComparison.Ordinal));
        if (at < 0)
        {
            Saved.Add(schedule);
        }
        else
        {
            Saved[at] = schedule;
        }
    }
}

/// <summary>Applies an update whatever the stored version.</summary>
internal sealed class ScheduleSaveIgnoringVersion(InMemoryJobStore inner, TimeProvider clock) : ScheduleKeepingStore(inner, clock)
{
    protected override bool Accepts(JobScheduleRecord? held, JobScheduleRecord schedule) => schedule.Version == 1 ? held is null : held is not null;
}

/// <summary>Lets a create replace a schedule with the same id.</summary>
internal sealed class ScheduleCreateOverwriting(InMemoryJobStore inner, TimeProvider clock) : ScheduleKeepingStore(inner, clock)
{
    protected override bool Accepts(JobScheduleRecord? held, JobScheduleRecord schedule) => schedule.Version == 1 || held?.Version == schedule.Version - 1;
}

/// <summary>Checks the version, lets other savers in, then writes: racing saves may all win.</summary>
internal sealed class ScheduleSaveCheckThenWrite(InMemoryJobStore inner, TimeProvider clock) : ScheduleKeepingStore(inner, clock)
{
    public override async ValueTask<bool> TrySaveScheduleAsync(JobScheduleRecord schedule, CancellationToken cancellationToken = default)
    {
        JobStoreArguments.CheckSchedule(schedule);
        bool accepted;
        lock (Gate)
        {
            accepted = Accepts(Find(schedule.Id), schedule);
        }

        await Task.Delay(1, cancellationToken);
        if (accepted)
        {
            lock (Gate)
            {
                Put(schedule);
            }
        }

        return accepted;
    }
}

/// <summary>Lists schedules in the order they were first saved, not by id.</summary>
internal sealed class ScheduleListInInsertionOrder(InMemoryJobStore inner, TimeProvider clock) : ScheduleKeepingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<JobScheduleRecord>> GetSchedulesAsync(CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            return new([.. Saved]);
        }
    }
}

/// <summary>Lists schedules ordered by id with a culture's rules, not ordinally.</summary>
internal sealed class ScheduleListInCultureOrder(InMemoryJobStore inner, TimeProvider clock) : ScheduleKeepingStore(inner, clock)
{
    public override ValueTask<IReadOnlyList<JobScheduleRecord>> GetSchedulesAsync(CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            return new([.. Saved.OrderBy(s => s.Id, StringComparer.InvariantCultureIgnoreCase)]);
        }
    }
}

/// <summary>Trims the texts it keeps (display name, concurrency key, parameters), as a padded column would.</summary>
internal sealed class ScheduleTextTrimmed(InMemoryJobStore inner, TimeProvider clock) : ScheduleKeepingStore(inner, clock)
{
    protected override JobScheduleRecord Stored(JobScheduleRecord schedule) => schedule with
    {
        DisplayName = schedule.DisplayName?.Trim(),
        ConcurrencyKey = schedule.ConcurrencyKey?.Trim(),
    };
}

/// <summary>Cuts text at the first NUL, as a C string column would.</summary>
internal sealed class ScheduleTextCutAtNul(InMemoryJobStore inner, TimeProvider clock) : ScheduleKeepingStore(inner, clock)
{
    protected override JobScheduleRecord Stored(JobScheduleRecord schedule) => schedule with { DisplayName = schedule.DisplayName?.Split('\0')[0] };
}

/// <summary>Keeps times to the second only.</summary>
internal sealed class ScheduleTimesToTheSecond(InMemoryJobStore inner, TimeProvider clock) : ScheduleKeepingStore(inner, clock)
{
    protected override JobScheduleRecord Stored(JobScheduleRecord schedule) => schedule with
    {
        CreatedAt = ToSecond(schedule.CreatedAt),
        UpdatedAt = ToSecond(schedule.UpdatedAt),
        LastOccurrence = schedule.LastOccurrence is { } last ? ToSecond(last) : null,
    };

    private static DateTimeOffset ToSecond(DateTimeOffset time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), time.Offset);
}

/// <summary>Forgets the fields it has no column for: paused, misfire and overlap read as their defaults.</summary>
internal sealed class ScheduleDroppingFlags(InMemoryJobStore inner, TimeProvider clock) : ScheduleKeepingStore(inner, clock)
{
    protected override JobScheduleRecord Stored(JobScheduleRecord schedule) => schedule with { IsPaused = false, Misfire = default, Overlap = default };
}

/// <summary>Deletes whatever the stored version.</summary>
internal sealed class ScheduleDeleteIgnoringVersion(InMemoryJobStore inner, TimeProvider clock) : ScheduleKeepingStore(inner, clock)
{
    public override ValueTask<bool> TryDeleteScheduleAsync(string scheduleId, long expectedVersion, CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            return new(Find(scheduleId) is { } held && Saved.Remove(held));
        }
    }
}

/// <summary>The schedule-keeping store with nothing broken, to show the kit's schedule tests pass on a correct store.</summary>
internal sealed class UnbrokenScheduleStore(InMemoryJobStore inner, TimeProvider clock) : ScheduleKeepingStore(inner, clock);
