using JobTracking.Running;

namespace JobTracking.Schedules;

/// <summary>The commands of <see cref="IJobSchedules"/>: each reads the schedule and compares-and-sets it on its version, reading again when another writer got there first.</summary>
internal sealed class JobSchedules : IJobSchedules
{
    // How many refused saves in a row a command takes before it gives up with an error naming the schedule.
    private const int MaxRefusedSaves = 100;

    private static readonly JobScheduleOptions Defaults = new();

    private readonly JobEngine _engine;
    private readonly ScheduleStore _store;

    public JobSchedules(JobEngine engine, ScheduleStore store)
    {
        _engine = engine;
        _store = store;
    }

    public JobScheduleLauncher<TJob> Schedule<TJob>()
        where TJob : class, IJobDefinition => new(this, _engine.Registry.Get(typeof(TJob)).TypeName);

    public async ValueTask<JobScheduleInfo> SetAsync<TParameters>(string scheduleId, string jobType, TParameters parameters, string cron, JobScheduleOptions? options = null, CancellationToken cancellationToken = default)
    {
        CheckId(scheduleId);
        ArgumentException.ThrowIfNullOrWhiteSpace(jobType);
        ArgumentException.ThrowIfNullOrWhiteSpace(cron);
        cancellationToken.ThrowIfCancellationRequested();
        options ??= Defaults;
        CheckOptions(options);
        var schedule = CronSchedule.Parse(cron, options.TimeZone);
        var type = _engine.Registry.Get(jobType);
        var json = type.SerializeParameters(parameters);
        _store.ThrowIfUnavailable();
        for (var refused = 0; refused < MaxRefusedSaves; refused++)
        {
            var now = _engine.TimeProvider.GetUtcNow();
            var stored = await _store.GetAsync(scheduleId, cancellationToken).ConfigureAwait(false);
            // A new schedule, or a new expression, starts from now: occurrences of the old one that passed are not missed ones of the new.
            var basis = stored ?? new JobScheduleRecord
            {
                Id = scheduleId,
                Version = 0,
                TypeName = type.TypeName,
                Parameters = json,
                Cron = cron,
                TimeZone = options.TimeZone,
                CreatedAt = now,
                UpdatedAt = now,
            };
            var timingChanged = stored is null || !string.Equals(stored.Cron, cron, StringComparison.Ordinal) || !string.Equals(stored.TimeZone, options.TimeZone, StringComparison.Ordinal);
            var wanted = basis with
            {
                Version = basis.Version + 1,
                TypeName = type.TypeName,
                Parameters = json,
                Cron = cron,
                TimeZone = options.TimeZone,
                DisplayName = options.DisplayName,
                Priority = options.Priority,
                ConcurrencyKey = options.ConcurrencyKey,
                Misfire = options.Misfire,
                Overlap = options.Overlap,
                UpdatedAt = now,
                NextOccurrence = timingChanged ? schedule.Next(now) : basis.NextOccurrence,
            };
            if (stored is not null && SameDefinition(stored, wanted))
            {
                return await InfoAsync(stored, cancellationToken).ConfigureAwait(false);
            }

            if (await _store.TrySaveAsync(wanted, cancellationToken).ConfigureAwait(false))
            {
                _store.Changed();
                return await InfoAsync(wanted, cancellationToken).ConfigureAwait(false);
            }
        }

        throw GaveUp(scheduleId);
    }

    public async ValueTask PauseAsync(string scheduleId, CancellationToken cancellationToken = default) =>
        await UpdateAsync(scheduleId, static (s, now) => s.IsPaused ? null : s with { IsPaused = true, UpdatedAt = now }, cancellationToken).ConfigureAwait(false);

    public async ValueTask ResumeAsync(string scheduleId, CancellationToken cancellationToken = default) =>
        await UpdateAsync(scheduleId, static (s, now) => s.IsPaused ? s with { IsPaused = false, UpdatedAt = now } : null, cancellationToken).ConfigureAwait(false);

    public async ValueTask<Guid> TriggerAsync(string scheduleId, CancellationToken cancellationToken = default)
    {
        CheckId(scheduleId);
        cancellationToken.ThrowIfCancellationRequested();
        _store.ThrowIfUnavailable();
        var schedule = await _store.GetAsync(scheduleId, cancellationToken).ConfigureAwait(false) ?? throw new JobScheduleNotFoundException(scheduleId);
        var type = _engine.Registry.Get(schedule.TypeName);
        var jobId = await _engine.CreateAsync(ScheduleJobs.NewJob(type, schedule, _engine.TimeProvider.GetUtcNow(), idempotencyKey: null), cancellationToken).ConfigureAwait(false);

        // The job is started whatever happens next; the schedule only records it as its last job, unless deleted meanwhile.
        try
        {
            await UpdateAsync(scheduleId, (s, now) => s with { LastJobId = jobId, UpdatedAt = now }, cancellationToken).ConfigureAwait(false);
        }
        catch (JobScheduleNotFoundException)
        {
        }

        return jobId;
    }

    public async ValueTask DeleteAsync(string scheduleId, CancellationToken cancellationToken = default)
    {
        CheckId(scheduleId);
        cancellationToken.ThrowIfCancellationRequested();
        _store.ThrowIfUnavailable();
        for (var refused = 0; refused < MaxRefusedSaves; refused++)
        {
            var stored = await _store.GetAsync(scheduleId, cancellationToken).ConfigureAwait(false) ?? throw new JobScheduleNotFoundException(scheduleId);
            if (await _store.TryDeleteAsync(scheduleId, stored.Version, cancellationToken).ConfigureAwait(false))
            {
                _store.Changed();
                return;
            }
        }

        throw GaveUp(scheduleId);
    }

    public async ValueTask<JobScheduleInfo?> GetAsync(string scheduleId, CancellationToken cancellationToken = default)
    {
        CheckId(scheduleId);
        cancellationToken.ThrowIfCancellationRequested();
        _store.ThrowIfUnavailable();
        var schedule = await _store.GetAsync(scheduleId, cancellationToken).ConfigureAwait(false);
        return schedule is null ? null : await InfoAsync(schedule, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<JobScheduleInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _store.ThrowIfUnavailable();
        var schedules = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
        var infos = new JobScheduleInfo[schedules.Count];
        for (var i = 0; i < infos.Length; i++)
        {
            infos[i] = await InfoAsync(schedules[i], cancellationToken).ConfigureAwait(false);
        }

        return infos;
    }

    /// <summary>Checks a schedule id: 1 to <see cref="JobScheduleRecord.MaxIdLength"/> characters, not blank.</summary>
    public static void CheckId(string scheduleId)
    {
        ArgumentNullException.ThrowIfNull(scheduleId);
        if (string.IsNullOrWhiteSpace(scheduleId) || scheduleId.Length > JobScheduleRecord.MaxIdLength)
        {
            throw new ArgumentException($"A schedule id must be 1 to {JobScheduleRecord.MaxIdLength} characters and not blank; it has {scheduleId.Length}.", nameof(scheduleId));
        }
    }

    /// <summary>Checks the options a schedule's jobs are started with.</summary>
    public static void CheckOptions(JobScheduleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckText(options.DisplayName, nameof(options.DisplayName));
        CheckText(options.ConcurrencyKey, nameof(options.ConcurrencyKey));
        if (options.Priority is < -1000 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Priority, "Priority must be between -1000 and 1000.");
        }

        if (!Enum.IsDefined(options.Misfire) || !Enum.IsDefined(options.Overlap))
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"Misfire ({options.Misfire}) and Overlap ({options.Overlap}) must be values their enums define.");
        }

        if (options.TimeZone is null)
        {
            throw new ArgumentException("TimeZone must be an IANA id such as \"Europe/Paris\" or \"UTC\", not null.", nameof(options));
        }
    }

    private static void CheckText(string? value, string name)
    {
        if (value is not null && (value.Length > JobStartOptions.MaxTextLength || string.IsNullOrWhiteSpace(value)))
        {
            throw new ArgumentException($"{name} must be 1 to {JobStartOptions.MaxTextLength} characters and not blank; it has {value.Length}.", name);
        }
    }

    private static bool SameDefinition(JobScheduleRecord a, JobScheduleRecord b) =>
        string.Equals(a.TypeName, b.TypeName, StringComparison.Ordinal)
        && string.Equals(a.Parameters, b.Parameters, StringComparison.Ordinal)
        && string.Equals(a.Cron, b.Cron, StringComparison.Ordinal)
        && string.Equals(a.TimeZone, b.TimeZone, StringComparison.Ordinal)
        && string.Equals(a.DisplayName, b.DisplayName, StringComparison.Ordinal)
        && string.Equals(a.ConcurrencyKey, b.ConcurrencyKey, StringComparison.Ordinal)
        && a.Priority == b.Priority
        && a.Misfire == b.Misfire
        && a.Overlap == b.Overlap;

    private static JobTrackingException GaveUp(string scheduleId) => new(
        $"Schedule '{scheduleId}' changed under every one of {MaxRefusedSaves} saves in a row; the store may compare versions differently from how it reads them.");

    private async ValueTask UpdateAsync(string scheduleId, Func<JobScheduleRecord, DateTimeOffset, JobScheduleRecord?> change, CancellationToken cancellationToken)
    {
        CheckId(scheduleId);
        cancellationToken.ThrowIfCancellationRequested();
        _store.ThrowIfUnavailable();
        for (var refused = 0; refused < MaxRefusedSaves; refused++)
        {
            var stored = await _store.GetAsync(scheduleId, cancellationToken).ConfigureAwait(false) ?? throw new JobScheduleNotFoundException(scheduleId);
            if (change(stored, _engine.TimeProvider.GetUtcNow()) is not { } changed)
            {
                return;
            }

            if (await _store.TrySaveAsync(changed with { Version = stored.Version + 1 }, cancellationToken).ConfigureAwait(false))
            {
                _store.Changed();
                return;
            }
        }

        throw GaveUp(scheduleId);
    }

    private async ValueTask<JobScheduleInfo> InfoAsync(JobScheduleRecord schedule, CancellationToken cancellationToken)
    {
        var last = schedule.LastJobId is { } id ? await _engine.GetAsync(id, cancellationToken).ConfigureAwait(false) : null;
        return new JobScheduleInfo { Schedule = schedule, LastJobStatus = last?.Status };
    }
}
