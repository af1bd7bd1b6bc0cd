using JobTracking.Running;
using Microsoft.Extensions.Logging;

namespace JobTracking.Schedules;

/// <summary>Fires this instance's share of the schedules: it wakes at the next occurrence (a timer on the <see cref="TimeProvider"/>), at every <see cref="JobTrackingOptions.SchedulePollInterval"/> to see other instances' changes, and when a schedule changes here.</summary>
/// <remarks>
/// <para>Every instance sharing the store runs one, with no leader. An occurrence is dealt with in two steps: its job is
/// started with an idempotency key made of the schedule's id and the occurrence's UTC time, then the schedule is
/// compared-and-set past it. An instance that races another, or comes after one that died between the two steps,
/// computes the same occurrence from the stored schedule, its start finds the key held and answers the same job, and
/// it advances the schedule: one job per occurrence.</para>
/// <para>An occurrence dealt with within one poll interval of its time is on time and starts its own job. Older ones are
/// missed (no instance ran, or the schedule was paused): <see cref="JobScheduleMisfire.RunOnce"/> starts one job for the
/// latest of them, <see cref="JobScheduleMisfire.Skip"/> none.</para>
/// </remarks>
internal sealed class ScheduleLoop : IAsyncDisposable, IDisposable
{
    private const int MaxRefusedSaves = 100;

    private readonly JobEngine _engine;
    private readonly ScheduleStore _store;
    private readonly JobSchedules _commands;
    private readonly IReadOnlyList<ScheduleDeclaration> _declarations;
    private readonly TimeProvider _time;
    private readonly TimeSpan _poll;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public ScheduleLoop(JobEngine engine, ScheduleStore store, JobSchedules commands, IEnumerable<ScheduleDeclaration> declarations)
    {
        _engine = engine;
        _store = store;
        _commands = commands;
        _declarations = [.. declarations];
        _time = engine.TimeProvider;
        _poll = engine.Options.SchedulePollInterval;
        _logger = engine.LoggerFactory.CreateLogger<ScheduleLoop>();
    }

    /// <summary>Applies the declared schedules (a schedule whose definition is unchanged is not written), then starts the loop when the store keeps schedules.</summary>
    /// <exception cref="JobTrackingException">A declared schedule cannot be applied (its job type is unknown, its parameters are invalid, or the store keeps no schedules); the message names it.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var declaration in _declarations)
        {
            try
            {
                var typeName = _engine.Registry.Get(declaration.DefinitionType).TypeName;
                await _commands.SetAsync(declaration.ScheduleId, typeName, declaration.Parameters, declaration.Cron, declaration.Options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or JobTrackingException)
            {
                throw new JobTrackingException($"The schedule '{declaration.ScheduleId}' declared with AddSchedule could not be applied: {ex.Message}", ex);
            }
        }

        if (_store.IsAvailable)
        {
            _loop ??= Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        }
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    // A container disposed synchronously: the loop is told to stop and left to end on its own (it stores nothing once stopping).
    public void Dispose()
    {
        _stopping.Cancel();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var changed = _store.NextChange;
            DateTimeOffset? next = null;
            try
            {
                next = await TickAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ScheduleReadFailed(_logger, ex);
            }

            var wait = _poll;
            if (next is { } at && at - _time.GetUtcNow() is var untilNext && untilNext < wait)
            {
                wait = untilNext < TimeSpan.Zero ? TimeSpan.Zero : untilNext;
            }

            using var timer = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            try
            {
                await Task.WhenAny(Task.Delay(wait, _time, timer.Token), changed).ConfigureAwait(false);
            }
            finally
            {
                await timer.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Deals with every due occurrence of every schedule.</summary>
    /// <returns>The earliest next occurrence of a running schedule that did not fail, or <see langword="null"/> for none.</returns>
    internal async Task<DateTimeOffset?> TickAsync(CancellationToken cancellationToken)
    {
        var schedules = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset? earliest = null;
        foreach (var listed in schedules)
        {
            JobScheduleRecord? schedule;
            try
            {
                schedule = await FireDueAsync(listed, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Left for the next poll rather than retried at once: a schedule that cannot fire must not spin the loop.
                Log.ScheduleFireFailed(_logger, ex, listed.Id);
                continue;
            }

            if (schedule is { IsPaused: false, NextOccurrence: { } next } && (earliest is null || next < earliest))
            {
                earliest = next;
            }
        }

        return earliest;
    }

    /// <summary>Deals with a schedule's due occurrences, one at a time, until its next one is in the future.</summary>
    /// <returns>The schedule as last read or stored; <see langword="null"/> when it was deleted.</returns>
    private async Task<JobScheduleRecord?> FireDueAsync(JobScheduleRecord schedule, CancellationToken cancellationToken)
    {
        var current = schedule;
        var refused = 0;
        while (current is { IsPaused: false, NextOccurrence: { } first })
        {
            var now = _time.GetUtcNow();
            if (first > now)
            {
                return current;
            }

            if (refused == MaxRefusedSaves)
            {
                throw new JobTrackingException($"Schedule '{current.Id}' changed under every one of {MaxRefusedSaves} saves in a row; it is tried again at the next poll.");
            }

            var cron = CronSchedule.Parse(current.Cron, current.TimeZone);

            // Occurrences older than a poll interval were missed: they collapse into their latest, which the misfire rule
            // runs once or skips. An occurrence on time is dealt with alone, so each starts its own job.
            var missed = now - _poll;
            var occurrence = first;
            var start = true;
            if (first < missed && cron.LatestDue(first, missed) is { } latestMissed)
            {
                occurrence = latestMissed;
                start = current.Misfire == JobScheduleMisfire.RunOnce;
            }

            if (start && current.Overlap == JobScheduleOverlap.Skip && current.LastJobId is { } last)
            {
                var previous = await _engine.GetAsync(last, cancellationToken).ConfigureAwait(false);
                start = previous is null || JobLifecycle.IsFinished(previous.Status);
            }

            Guid? jobId = null;
            if (start)
            {
                var type = _engine.Registry.Get(current.TypeName);
                var job = ScheduleJobs.NewJob(type, current, now, ScheduleJobs.OccurrenceKey(current.Id, occurrence));
                jobId = await _engine.CreateAsync(job, cancellationToken).ConfigureAwait(false);
            }

            current = await RecordAsync(current, occurrence, jobId, cancellationToken).ConfigureAwait(false);
            if (current is not null && !(current.LastOccurrence >= occurrence))
            {
                refused++; // changed by another writer before this occurrence was recorded: decided again from what is stored
            }
        }

        return current;
    }

    /// <summary>Compares-and-sets the schedule past an occurrence. When another writer got there first, reads it again: an
    /// occurrence already recorded is left as it is (with this job as its job if it started one), and a started job is
    /// recorded even on a schedule a user changed meanwhile, since it runs whatever the schedule says now.</summary>
    /// <returns>The schedule as stored, or as read to decide again; <see langword="null"/> when it was deleted.</returns>
    private async Task<JobScheduleRecord?> RecordAsync(JobScheduleRecord schedule, DateTimeOffset occurrence, Guid? jobId, CancellationToken cancellationToken)
    {
        var current = schedule;
        for (var refused = 0; refused < MaxRefusedSaves; refused++)
        {
            var advanced = current with
            {
                Version = current.Version + 1,
                LastOccurrence = occurrence,
                LastJobId = jobId ?? current.LastJobId,
                NextOccurrence = CronSchedule.Parse(current.Cron, current.TimeZone).Next(occurrence),
                UpdatedAt = _time.GetUtcNow(),
            };
            if (await _store.TrySaveAsync(advanced, cancellationToken).ConfigureAwait(false))
            {
                if (jobId is { } started)
                {
                    Log.ScheduleFired(_logger, current.Id, occurrence, started);
                }
                else
                {
                    Log.ScheduleSkipped(_logger, current.Id, occurrence);
                }

                return advanced;
            }

            var stored = await _store.GetAsync(current.Id, cancellationToken).ConfigureAwait(false);
            if (stored is null || stored.LastOccurrence > occurrence || (stored.LastOccurrence == occurrence && (jobId is null || stored.LastJobId == jobId)))
            {
                return stored;
            }

            if (jobId is null)
            {
                return stored; // nothing started: the caller decides again from what is stored now
            }

            current = stored;
        }

        throw new JobTrackingException($"Schedule '{schedule.Id}' changed under every one of {MaxRefusedSaves} saves in a row; it is tried again at the next poll.");
    }
}
