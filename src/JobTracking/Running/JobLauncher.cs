namespace JobTracking;

/// <summary>
/// The commands that create jobs of one registered job type, from <see cref="IJobRunner.Job{TJob}"/>: start one with
/// <c>StartAsync(parameters)</c> or draft one with <c>CreateDraftAsync(parameters)</c>, and the compiler checks that the
/// parameters are the ones <typeparamref name="TJob"/> takes.
/// </summary>
/// <typeparam name="TJob">The job definition class.</typeparam>
public sealed class JobLauncher<TJob>
    where TJob : class, IJobDefinition
{
    /// <summary>Creates the commands for a job type; <see cref="IJobRunner.Job{TJob}"/> does this (a custom runner may too).</summary>
    /// <param name="runner">The runner the commands go through.</param>
    /// <param name="typeName">The name <typeparamref name="TJob"/> is registered under.</param>
    /// <exception cref="ArgumentNullException"><paramref name="runner"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="typeName"/> is empty.</exception>
    public JobLauncher(IJobRunner runner, string typeName)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentException.ThrowIfNullOrWhiteSpace(typeName);
        Runner = runner;
        TypeName = typeName;
    }

    /// <summary>Gets the runner the commands go through.</summary>
    public IJobRunner Runner { get; }

    /// <summary>Gets the name <typeparamref name="TJob"/> is registered and stored under (for filters such as <see cref="JobQuery.TypeName"/>).</summary>
    public string TypeName { get; }
}
