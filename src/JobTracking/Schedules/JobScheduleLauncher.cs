namespace JobTracking;

/// <summary>The schedule commands of one job type, from <see cref="IJobSchedules.Schedule{TJob}"/>; the typed <c>SetAsync</c> is an extension method (<see cref="JobSchedulesExtensions"/>) so that the parameters' type is checked.</summary>
/// <typeparam name="TJob">The job definition class.</typeparam>
public sealed class JobScheduleLauncher<TJob>
    where TJob : class, IJobDefinition
{
    /// <summary>Creates the commands for a job type; <see cref="IJobSchedules.Schedule{TJob}"/> does this.</summary>
    /// <param name="schedules">The schedules the commands go through.</param>
    /// <param name="typeName">The name <typeparamref name="TJob"/> is registered under.</param>
    /// <exception cref="ArgumentNullException"><paramref name="schedules"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="typeName"/> is empty.</exception>
    public JobScheduleLauncher(IJobSchedules schedules, string typeName)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentException.ThrowIfNullOrWhiteSpace(typeName);
        Schedules = schedules;
        TypeName = typeName;
    }

    /// <summary>Gets the schedules the commands go through.</summary>
    public IJobSchedules Schedules { get; }

    /// <summary>Gets the name <typeparamref name="TJob"/> is registered and stored under.</summary>
    public string TypeName { get; }
}
