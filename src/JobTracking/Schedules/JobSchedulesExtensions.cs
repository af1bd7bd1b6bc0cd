namespace JobTracking;

/// <summary>The typed schedule command: <c>schedules.Schedule&lt;ImportJob&gt;().SetAsync(id, parameters, cron)</c>.</summary>
public static class JobSchedulesExtensions
{
    /// <summary>Creates or updates a schedule of job type <typeparamref name="TJob"/>; parameters of another type than <typeparamref name="TJob"/> takes do not compile. See <see cref="IJobSchedules.SetAsync{TParameters}"/>.</summary>
    /// <typeparam name="TJob">The job definition class, from <see cref="IJobSchedules.Schedule{TJob}"/>.</typeparam>
    /// <typeparam name="TParameters">The parameters' type, inferred from <paramref name="parameters"/>.</typeparam>
    /// <param name="launcher">The job type's schedule commands.</param>
    /// <param name="scheduleId">The schedule's id, 1 to <see cref="JobScheduleRecord.MaxIdLength"/> characters.</param>
    /// <param name="parameters">The parameters of each job, validated before anything is stored.</param>
    /// <param name="cron">Five fields, or six with seconds first (e.g. "0 2 * * *").</param>
    /// <param name="options">Time zone, misfire, overlap, display name, priority, concurrency key; <see langword="null"/> for defaults (UTC).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The schedule as stored.</returns>
    /// <exception cref="ArgumentException">The id, the cron expression, the time zone or an option is invalid; nothing was stored.</exception>
    /// <exception cref="JobParametersException">The parameters are missing or invalid; nothing was stored.</exception>
    /// <exception cref="JobTrackingException">The store keeps no schedules.</exception>
    public static ValueTask<JobScheduleInfo> SetAsync<TJob, TParameters>(this JobScheduleLauncher<TJob> launcher, string scheduleId, TParameters parameters, string cron, JobScheduleOptions? options = null, CancellationToken cancellationToken = default)
        where TJob : class, IJobDefinition<TParameters>
    {
        ArgumentNullException.ThrowIfNull(launcher);
        return launcher.Schedules.SetAsync(scheduleId, launcher.TypeName, parameters, cron, options, cancellationToken);
    }
}
