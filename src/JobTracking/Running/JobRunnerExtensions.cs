namespace JobTracking;

/// <summary>Shortcuts on <see cref="IJobRunner"/>: typed start and draft, and waiting.</summary>
public static class JobRunnerExtensions
{
    private static readonly JobStatus[] Finished = [JobStatus.Completed, JobStatus.Cancelled, JobStatus.Failed];

    /// <summary>Creates a job of type <typeparamref name="TJob"/> and queues it at once: <c>runner.Job&lt;ImportJob&gt;().StartAsync(parameters)</c>.</summary>
    /// <remarks>Both type arguments are inferred; parameters of another type than <typeparamref name="TJob"/> takes do not compile.</remarks>
    /// <typeparam name="TJob">The job definition class, from <see cref="IJobRunner.Job{TJob}"/>.</typeparam>
    /// <typeparam name="TParameters">The parameters' type, inferred from <paramref name="parameters"/>.</typeparam>
    /// <param name="launcher">The job type's commands.</param>
    /// <param name="parameters">The parameters, validated before anything is stored.</param>
    /// <param name="options">Display name, launched by, priority, concurrency key; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new job's id.</returns>
    /// <exception cref="JobParametersException">The parameters are missing or invalid.</exception>
    public static ValueTask<Guid> StartAsync<TJob, TParameters>(this JobLauncher<TJob> launcher, TParameters parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default)
        where TJob : class, IJobDefinition<TParameters>
    {
        ArgumentNullException.ThrowIfNull(launcher);
        return launcher.Runner.StartAsync(launcher.TypeName, parameters, options, cancellationToken);
    }

    /// <summary>Creates many jobs of type <typeparamref name="TJob"/> and queues them at once, all or nothing: <c>runner.Job&lt;ImportJob&gt;().StartManyAsync(parameters)</c>.</summary>
    /// <remarks>Both type arguments are inferred; parameters of another type than <typeparamref name="TJob"/> takes do not compile. An empty
    /// collection expression (<c>[]</c>) has no element to infer the parameters' type from: pass a typed empty list
    /// (<c>Array.Empty&lt;ImportParameters&gt;()</c>). See <see cref="IJobRunner.StartManyAsync{TParameters}(string, IReadOnlyList{TParameters}, JobStartOptions?, CancellationToken)"/>.</remarks>
    /// <typeparam name="TJob">The job definition class, from <see cref="IJobRunner.Job{TJob}"/>.</typeparam>
    /// <typeparam name="TParameters">The parameters' type, inferred from <paramref name="parameters"/>.</typeparam>
    /// <param name="launcher">The job type's commands.</param>
    /// <param name="parameters">One item per job, at most <see cref="JobStartOptions.MaxBatchCount"/>, all validated before anything is stored.</param>
    /// <param name="options">Display name, launched by, priority, concurrency key for every job; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new jobs' ids, in the order of <paramref name="parameters"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> or one of its items is <see langword="null"/>, or it holds too many items.</exception>
    /// <exception cref="JobParametersException">Items are invalid: the message names each by its index (from 0) and field, and nothing was stored.</exception>
#pragma warning disable RS0026 // The two bulk starts differ by the list's element type (parameters, or parameters with options), never by optional parameters alone.
    public static ValueTask<IReadOnlyList<Guid>> StartManyAsync<TJob, TParameters>(this JobLauncher<TJob> launcher, IReadOnlyList<TParameters> parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default)
        where TJob : class, IJobDefinition<TParameters>
    {
        ArgumentNullException.ThrowIfNull(launcher);
        return launcher.Runner.StartManyAsync(launcher.TypeName, parameters, options, cancellationToken);
    }

    /// <summary>Creates many jobs of type <typeparamref name="TJob"/>, each with options of its own (an idempotency key per item, a time...), all or nothing: <c>runner.Job&lt;ImportJob&gt;().StartManyAsync(requests)</c>.</summary>
    /// <remarks>See <see cref="IJobRunner.StartManyAsync{TParameters}(string, IReadOnlyList{JobStartRequest{TParameters}}, CancellationToken)"/>.</remarks>
    /// <typeparam name="TJob">The job definition class, from <see cref="IJobRunner.Job{TJob}"/>.</typeparam>
    /// <typeparam name="TParameters">The parameters' type, inferred from <paramref name="requests"/>.</typeparam>
    /// <param name="launcher">The job type's commands.</param>
    /// <param name="requests">One item per job, at most <see cref="JobStartOptions.MaxBatchCount"/>, all validated before anything is stored.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each item, in order, the id of its job: new, or the one holding its idempotency key.</returns>
    /// <exception cref="ArgumentException">The list or an item is <see langword="null"/>, an item's options are invalid, or it holds too many items; nothing was stored.</exception>
    /// <exception cref="JobParametersException">Items are invalid: the message names each by its index (from 0) and field, and nothing was stored.</exception>
    public static ValueTask<IReadOnlyList<Guid>> StartManyAsync<TJob, TParameters>(this JobLauncher<TJob> launcher, IReadOnlyList<JobStartRequest<TParameters>> requests, CancellationToken cancellationToken = default)
        where TJob : class, IJobDefinition<TParameters>
    {
        ArgumentNullException.ThrowIfNull(launcher);
        return launcher.Runner.StartManyAsync(launcher.TypeName, requests, cancellationToken);
    }
#pragma warning restore RS0026

    /// <summary>Creates a draft (status Editing) of type <typeparamref name="TJob"/> that runs only once submitted: <c>runner.Job&lt;ImportJob&gt;().CreateDraftAsync(parameters)</c>.</summary>
    /// <remarks>Both type arguments are inferred; parameters of another type than <typeparamref name="TJob"/> takes do not compile.</remarks>
    /// <typeparam name="TJob">The job definition class, from <see cref="IJobRunner.Job{TJob}"/>.</typeparam>
    /// <typeparam name="TParameters">The parameters' type, inferred from <paramref name="parameters"/>.</typeparam>
    /// <param name="launcher">The job type's commands.</param>
    /// <param name="parameters">The parameters, validated before anything is stored.</param>
    /// <param name="options">Display name, launched by, priority, concurrency key; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new draft's id.</returns>
    /// <exception cref="JobParametersException">The parameters are missing or invalid.</exception>
    public static ValueTask<Guid> CreateDraftAsync<TJob, TParameters>(this JobLauncher<TJob> launcher, TParameters parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default)
        where TJob : class, IJobDefinition<TParameters>
    {
        ArgumentNullException.ThrowIfNull(launcher);
        return launcher.Runner.CreateDraftAsync(launcher.TypeName, parameters, options, cancellationToken);
    }

    /// <summary>Waits until the job has finished: Completed, Cancelled or Failed.</summary>
    /// <param name="runner">The runner.</param>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The finished job.</returns>
    /// <exception cref="JobNotFoundException">No such job, or it finished and was purged (by <see cref="JobTrackingOptions.MaxFinishedJobsInMemory"/> or <see cref="JobTrackingOptions.RetentionPeriod"/>); the message says both.</exception>
    public static Task<JobRecord> WaitForCompletionAsync(this IJobRunner runner, Guid jobId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        return runner.WaitForStatusAsync(jobId, Finished, cancellationToken);
    }

    /// <summary>Waits until the job has one status.</summary>
    /// <param name="runner">The runner.</param>
    /// <param name="jobId">The job's id.</param>
    /// <param name="status">The status to wait for.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The job when it has the status.</returns>
    /// <exception cref="JobNotFoundException">No such job, or it finished and was purged (by <see cref="JobTrackingOptions.MaxFinishedJobsInMemory"/> or <see cref="JobTrackingOptions.RetentionPeriod"/>); the message says both.</exception>
    public static Task<JobRecord> WaitForStatusAsync(this IJobRunner runner, Guid jobId, JobStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        return runner.WaitForStatusAsync(jobId, [status], cancellationToken);
    }
}
