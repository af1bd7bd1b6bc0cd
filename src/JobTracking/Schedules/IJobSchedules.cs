namespace JobTracking;

/// <summary>Recurring schedules: a job type, its parameters and a cron expression in a time zone; each occurrence starts one job, whichever instances share the store. From DI.</summary>
/// <remarks>
/// The store must keep schedules (the in-memory, SQLite and PostgreSQL stores do); otherwise every member throws
/// <see cref="JobTrackingException"/> saying so. Every instance sharing the store fires schedules: each occurrence starts
/// exactly one job, with an idempotency key made of the schedule's id and the occurrence's UTC time. Changes made on another
/// instance are seen within <see cref="JobTrackingOptions.SchedulePollInterval"/>.
/// </remarks>
public interface IJobSchedules
{
    /// <summary>Gets the schedule commands of job type <typeparamref name="TJob"/>, so that its parameters are type-checked: <c>schedules.Schedule&lt;ImportJob&gt;().SetAsync("nightly-import", parameters, "0 2 * * *")</c>.</summary>
    /// <typeparam name="TJob">A job definition registered with <c>AddJob&lt;TJob&gt;()</c>.</typeparam>
    /// <returns>The job type's schedule commands.</returns>
    /// <exception cref="UnknownJobTypeException"><typeparamref name="TJob"/> is not registered.</exception>
    JobScheduleLauncher<TJob> Schedule<TJob>()
        where TJob : class, IJobDefinition;

    /// <summary>Creates a schedule, or updates the one with this id; an update keeps where the schedule has got to (its last occurrence and job) and whether it is paused, and a schedule saved with the same definition is not written at all.</summary>
    /// <remarks>To have the compiler check the parameters' type, use <see cref="Schedule{TJob}"/> instead. When the cron expression or the time zone changes, the next occurrence is computed again from now.</remarks>
    /// <typeparam name="TParameters">The job type's parameter type.</typeparam>
    /// <param name="scheduleId">The schedule's id, 1 to <see cref="JobScheduleRecord.MaxIdLength"/> characters (e.g. "nightly-import"); compared ordinally.</param>
    /// <param name="jobType">The registered type name of the job each occurrence starts.</param>
    /// <param name="parameters">The parameters of each job, validated and serialized as a start's are.</param>
    /// <param name="cron">Five fields (minute hour day-of-month month day-of-week), or six with seconds first, as Cronos reads them (e.g. "0 2 * * *", "*/10 * * * * *").</param>
    /// <param name="options">The time zone, misfire and overlap rules, and the jobs' display name, priority and concurrency key; <see langword="null"/> for defaults (UTC).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The schedule as stored.</returns>
    /// <exception cref="ArgumentException">The id is empty or too long, the cron expression is invalid (the message is Cronos's), the time zone is unknown, or an option is out of range; nothing was stored.</exception>
    /// <exception cref="UnknownJobTypeException">The type name is not registered; nothing was stored.</exception>
    /// <exception cref="JobParametersException">The parameters are missing or invalid; nothing was stored.</exception>
    /// <exception cref="JobTrackingException">The store keeps no schedules.</exception>
    ValueTask<JobScheduleInfo> SetAsync<TParameters>(string scheduleId, string jobType, TParameters parameters, string cron, JobScheduleOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Pauses a schedule: it starts nothing until resumed. Jobs it already started go on. Pausing a paused schedule does nothing.</summary>
    /// <param name="scheduleId">The schedule's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the pause is stored.</returns>
    /// <exception cref="JobScheduleNotFoundException">No schedule has the id.</exception>
    /// <exception cref="JobTrackingException">The store keeps no schedules.</exception>
    ValueTask PauseAsync(string scheduleId, CancellationToken cancellationToken = default);

    /// <summary>Resumes a paused schedule. Occurrences that passed while it was paused are missed ones: its <see cref="JobScheduleOptions.Misfire"/> rule says whether one job starts for them. Resuming a running schedule does nothing.</summary>
    /// <param name="scheduleId">The schedule's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the resume is stored.</returns>
    /// <exception cref="JobScheduleNotFoundException">No schedule has the id.</exception>
    /// <exception cref="JobTrackingException">The store keeps no schedules.</exception>
    ValueTask ResumeAsync(string scheduleId, CancellationToken cancellationToken = default);

    /// <summary>Starts the schedule's job now, paused or not and whatever its overlap rule; it is not an occurrence (the next occurrence is unchanged), but it becomes the schedule's last job.</summary>
    /// <param name="scheduleId">The schedule's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new job's id.</returns>
    /// <exception cref="JobScheduleNotFoundException">No schedule has the id.</exception>
    /// <exception cref="UnknownJobTypeException">The schedule's job type is no longer registered.</exception>
    /// <exception cref="JobTrackingException">The store keeps no schedules.</exception>
    ValueTask<Guid> TriggerAsync(string scheduleId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a schedule; the jobs it started are kept.</summary>
    /// <param name="scheduleId">The schedule's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the schedule is deleted.</returns>
    /// <exception cref="JobScheduleNotFoundException">No schedule has the id.</exception>
    /// <exception cref="JobTrackingException">The store keeps no schedules.</exception>
    ValueTask DeleteAsync(string scheduleId, CancellationToken cancellationToken = default);

    /// <summary>Reads one schedule, with the status of its last job.</summary>
    /// <param name="scheduleId">The schedule's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The schedule, or <see langword="null"/> when no schedule has the id.</returns>
    /// <exception cref="JobTrackingException">The store keeps no schedules.</exception>
    ValueTask<JobScheduleInfo?> GetAsync(string scheduleId, CancellationToken cancellationToken = default);

    /// <summary>Reads every schedule, ordered by id (ordinal), each with the status of its last job.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The schedules; empty when there are none.</returns>
    /// <exception cref="JobTrackingException">The store keeps no schedules.</exception>
    ValueTask<IReadOnlyList<JobScheduleInfo>> ListAsync(CancellationToken cancellationToken = default);
}
