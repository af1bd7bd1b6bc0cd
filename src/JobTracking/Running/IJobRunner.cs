namespace JobTracking;

/// <summary>Launches and controls jobs: start, draft and submit, pause, resume, cancel, restart, wait.</summary>
/// <remarks>
/// <para>A command that the job's current status does not allow throws <see cref="InvalidJobTransitionException"/> and changes
/// nothing; an unknown id throws <see cref="JobNotFoundException"/>. Of two racing commands that conflict, exactly one wins.</para>
/// <para>A store error the store calls transient is retried. When the error came after the store had applied the write
/// (a connection dropped after the commit: a lost acknowledgement), the caller is still told what was stored: a start,
/// a bulk start or a draft returns the ids of the jobs stored, once each; a command returns when the job made the move
/// it asked for from the status it read, even if the retry found it moved on since. A command whose outcome cannot be
/// told (the job moved on and the store's change feed no longer shows how) throws <see cref="JobTrackingException"/>
/// saying so, and a command the store refuses 100 times in a row (a row it reads but cannot compare) throws
/// <see cref="JobTrackingException"/> naming the job; neither is retried for ever.</para>
/// </remarks>
public interface IJobRunner
{
    /// <summary>
    /// Gets the commands for the job type registered as <typeparamref name="TJob"/>, where the compiler checks the
    /// parameters' type: <c>runner.Job&lt;ImportJob&gt;().StartAsync(new ImportParameters(...))</c>.
    /// </summary>
    /// <remarks>
    /// The job type is named by its class and the parameters' type is inferred from the argument, so a start with
    /// parameters of another type does not compile. See <see cref="JobRunnerExtensions.StartAsync{TJob, TParameters}"/>
    /// and <see cref="JobRunnerExtensions.CreateDraftAsync{TJob, TParameters}"/>.
    /// </remarks>
    /// <typeparam name="TJob">A job definition class registered with <c>AddJob&lt;TJob&gt;()</c>.</typeparam>
    /// <returns>The typed commands, for the type name <typeparamref name="TJob"/> is registered under.</returns>
    /// <exception cref="UnknownJobTypeException"><typeparamref name="TJob"/> is not registered.</exception>
    JobLauncher<TJob> Job<TJob>()
        where TJob : class, IJobDefinition;

    /// <summary>Creates a job and queues it at once.</summary>
    /// <remarks>To have the compiler check the parameters' type, use <c>Job&lt;TJob&gt;().StartAsync(parameters)</c> instead.</remarks>
    /// <typeparam name="TParameters">The job type's parameter type.</typeparam>
    /// <param name="jobType">The registered type name.</param>
    /// <param name="parameters">The parameters, validated before anything is stored.</param>
    /// <param name="options">Display name, launched by, priority, concurrency key; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new job's id; with an <see cref="JobStartOptions.IdempotencyKey"/> that an earlier job holds, that job's id (nothing is started).</returns>
    /// <exception cref="UnknownJobTypeException">The type name is not registered.</exception>
    /// <exception cref="JobParametersException">The parameters are missing or invalid.</exception>
    ValueTask<Guid> StartAsync<TParameters>(string jobType, TParameters parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Creates many jobs of one type and queues them at once, all or nothing: every item's parameters are validated before anything is stored, and the jobs are stored in one store call.</summary>
    /// <remarks>
    /// The jobs share <paramref name="options"/> and are queued in the order of the list (for equal priority, they are
    /// claimed in that order). To have the compiler check the parameters' type, use <c>Job&lt;TJob&gt;().StartManyAsync(parameters)</c> instead.
    /// </remarks>
    /// <typeparam name="TParameters">The job type's parameter type.</typeparam>
    /// <param name="jobType">The registered type name.</param>
    /// <param name="parameters">One item per job, at most <see cref="JobStartOptions.MaxBatchCount"/>; an empty list starts nothing.</param>
    /// <param name="options">Display name, launched by, priority, concurrency key for every job; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new jobs' ids, in the order of <paramref name="parameters"/>.</returns>
    /// <exception cref="UnknownJobTypeException">The type name is not registered.</exception>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> or one of its items is <see langword="null"/>, or it holds more than <see cref="JobStartOptions.MaxBatchCount"/> items; nothing was stored.</exception>
    /// <exception cref="JobParametersException">Items are invalid: the message names each by its index (from 0) and field, and nothing was stored.</exception>
    /// <exception cref="JobQueueFullException">The in-memory store's queue cannot hold the whole batch; nothing was stored.</exception>
#pragma warning disable RS0026 // The two bulk starts differ by the list's element type (parameters, or parameters with options), never by optional parameters alone.
    ValueTask<IReadOnlyList<Guid>> StartManyAsync<TParameters>(string jobType, IReadOnlyList<TParameters> parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Creates many jobs of one type, each with options of its own (an idempotency key per item, a time, a priority), all or nothing: every item is validated before anything is stored, and the jobs are stored in one store call.</summary>
    /// <remarks>An item whose idempotency key an earlier job holds (or an earlier item of the list) starts nothing: its place in the result holds that job's id.</remarks>
    /// <typeparam name="TParameters">The job type's parameter type.</typeparam>
    /// <param name="jobType">The registered type name.</param>
    /// <param name="requests">One item per job, at most <see cref="JobStartOptions.MaxBatchCount"/>; an empty list starts nothing.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each item, in order, the id of its job: new, or the one holding its idempotency key.</returns>
    /// <exception cref="UnknownJobTypeException">The type name is not registered.</exception>
    /// <exception cref="ArgumentException">The list or an item is <see langword="null"/>, an item's options are invalid (the message names the item by its index), or the list holds more than <see cref="JobStartOptions.MaxBatchCount"/> items; nothing was stored.</exception>
    /// <exception cref="JobParametersException">Items are invalid: the message names each by its index (from 0) and field, and nothing was stored.</exception>
    ValueTask<IReadOnlyList<Guid>> StartManyAsync<TParameters>(string jobType, IReadOnlyList<JobStartRequest<TParameters>> requests, CancellationToken cancellationToken = default);
#pragma warning restore RS0026

    /// <summary>Creates a draft (status Editing) that runs only once submitted.</summary>
    /// <remarks>To have the compiler check the parameters' type, use <c>Job&lt;TJob&gt;().CreateDraftAsync(parameters)</c> instead.</remarks>
    /// <typeparam name="TParameters">The job type's parameter type.</typeparam>
    /// <param name="jobType">The registered type name.</param>
    /// <param name="parameters">The parameters, validated before anything is stored.</param>
    /// <param name="options">Display name, launched by, priority, concurrency key; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new draft's id.</returns>
    /// <exception cref="UnknownJobTypeException">The type name is not registered.</exception>
    /// <exception cref="JobParametersException">The parameters are missing or invalid.</exception>
    ValueTask<Guid> CreateDraftAsync<TParameters>(string jobType, TParameters parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Replaces a draft's parameters (and optionally its display name).</summary>
    /// <typeparam name="TParameters">The job type's parameter type.</typeparam>
    /// <param name="jobId">The draft's id.</param>
    /// <param name="parameters">The new parameters, validated before anything is stored.</param>
    /// <param name="displayName">The new display name, or <see langword="null"/> to keep it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the draft is changed.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job is no longer a draft.</exception>
    /// <exception cref="JobParametersException">The parameters are missing or invalid.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask UpdateDraftAsync<TParameters>(Guid jobId, TParameters parameters, string? displayName = null, CancellationToken cancellationToken = default);

#pragma warning disable RS0026 // Each command has one overload without options, kept so existing calls that pass a token compile, and one with; only the token is optional in both.
    /// <summary>Queues a draft (Editing to Queued).</summary>
    /// <param name="jobId">The draft's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the draft is queued.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job is not a draft.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask SubmitAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>Queues a draft (Editing to Queued).</summary>
    /// <remarks>The command is recorded in the job's history with <paramref name="options"/> once the move is stored; see <see cref="IJobTracker.GetHistoryAsync"/>.</remarks>
    /// <param name="jobId">The draft's id.</param>
    /// <param name="options">Who issues the command and why, kept in the job's history (<see cref="IJobTracker.GetHistoryAsync"/>); <see langword="null"/> for neither.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the draft is queued.</returns>
    /// <exception cref="ArgumentException">The actor or the reason is blank or longer than <see cref="JobStartOptions.MaxTextLength"/> characters (the message names which); nothing was changed.</exception>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job is not a draft.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask SubmitAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default);

    /// <summary>Pauses a job: a running one at its next safe point (Running to Pausing, then Paused), a queued one at once (held).</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the pause is recorded (not when the job has reached its safe point).</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job is neither running nor queued.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask PauseAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>Pauses a job: a running one at its next safe point (Running to Pausing, then Paused), a queued one at once (held).</summary>
    /// <remarks>The command is recorded in the job's history with <paramref name="options"/> once the move is stored; see <see cref="IJobTracker.GetHistoryAsync"/>.</remarks>
    /// <param name="jobId">The job's id.</param>
    /// <param name="options">Who issues the command and why, kept in the job's history (<see cref="IJobTracker.GetHistoryAsync"/>); <see langword="null"/> for neither.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the pause is recorded (not when the job has reached its safe point).</returns>
    /// <exception cref="ArgumentException">The actor or the reason is blank or longer than <see cref="JobStartOptions.MaxTextLength"/> characters (the message names which); nothing was changed.</exception>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job is neither running nor queued.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask PauseAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default);

    /// <summary>Resumes a job: a paused one is queued again and continues from its checkpoint; a pausing one simply keeps running.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the resume is recorded.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job is neither paused nor pausing.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask ResumeAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>Resumes a job: a paused one is queued again and continues from its checkpoint; a pausing one simply keeps running.</summary>
    /// <remarks>The command is recorded in the job's history with <paramref name="options"/> once the move is stored; see <see cref="IJobTracker.GetHistoryAsync"/>.</remarks>
    /// <param name="jobId">The job's id.</param>
    /// <param name="options">Who issues the command and why, kept in the job's history (<see cref="IJobTracker.GetHistoryAsync"/>); <see langword="null"/> for neither.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the resume is recorded.</returns>
    /// <exception cref="ArgumentException">The actor or the reason is blank or longer than <see cref="JobStartOptions.MaxTextLength"/> characters (the message names which); nothing was changed.</exception>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job is neither paused nor pausing.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask ResumeAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default);

    /// <summary>Cancels a job: a running one's token fires at once and it ends Cancelled at its next safe point; any other unfinished one is cancelled at once.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the cancellation is recorded.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job has finished or is shutting down.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask CancelAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>Cancels a job: a running one's token fires at once and it ends Cancelled at its next safe point; any other unfinished one is cancelled at once.</summary>
    /// <remarks>The command is recorded in the job's history with <paramref name="options"/> once the move is stored; see <see cref="IJobTracker.GetHistoryAsync"/>.</remarks>
    /// <param name="jobId">The job's id.</param>
    /// <param name="options">Who issues the command and why, kept in the job's history (<see cref="IJobTracker.GetHistoryAsync"/>); <see langword="null"/> for neither.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the cancellation is recorded.</returns>
    /// <exception cref="ArgumentException">The actor or the reason is blank or longer than <see cref="JobStartOptions.MaxTextLength"/> characters (the message names which); nothing was changed.</exception>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job has finished or is shutting down.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask CancelAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default);

    /// <summary>Queues a failed or interrupted job again as a new attempt (attempt + 1); it continues from its last checkpoint.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the job is queued.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job is neither failed nor interrupted.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask RestartAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>Queues a failed or interrupted job again as a new attempt (attempt + 1); it continues from its last checkpoint.</summary>
    /// <remarks>The command is recorded in the job's history with <paramref name="options"/> once the move is stored; see <see cref="IJobTracker.GetHistoryAsync"/>.</remarks>
    /// <param name="jobId">The job's id.</param>
    /// <param name="options">Who issues the command and why, kept in the job's history (<see cref="IJobTracker.GetHistoryAsync"/>); <see langword="null"/> for neither.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the job is queued.</returns>
    /// <exception cref="ArgumentException">The actor or the reason is blank or longer than <see cref="JobStartOptions.MaxTextLength"/> characters (the message names which); nothing was changed.</exception>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job is neither failed nor interrupted.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask RestartAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default);

    /// <summary>Makes a queued job that waits for its time (a delayed start or a retry's backoff) ready at once; it goes to the back of the queue of its priority.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the job is ready.</returns>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job is not queued.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask RunNowAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>Makes a queued job that waits for its time (a delayed start or a retry's backoff) ready at once; it goes to the back of the queue of its priority.</summary>
    /// <remarks>The command is recorded in the job's history with <paramref name="options"/> once the move is stored; see <see cref="IJobTracker.GetHistoryAsync"/>.</remarks>
    /// <param name="jobId">The job's id.</param>
    /// <param name="options">Who issues the command and why, kept in the job's history (<see cref="IJobTracker.GetHistoryAsync"/>); <see langword="null"/> for neither.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the job is ready.</returns>
    /// <exception cref="ArgumentException">The actor or the reason is blank or longer than <see cref="JobStartOptions.MaxTextLength"/> characters (the message names which); nothing was changed.</exception>
    /// <exception cref="JobNotFoundException">No such job.</exception>
    /// <exception cref="InvalidJobTransitionException">The job is not queued.</exception>
    /// <exception cref="JobTrackingException">The store failed and the outcome cannot be told, or it refused every move of the job (see the remarks on <see cref="IJobRunner"/>).</exception>
    ValueTask RunNowAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default);
#pragma warning restore RS0026

    /// <summary>Waits until the job reaches one of <paramref name="statuses"/>.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="statuses">The statuses to wait for; at least one.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The job as it is when it has one of the statuses.</returns>
    /// <exception cref="JobNotFoundException">No such job, or it finished and was purged (by <see cref="JobTrackingOptions.MaxFinishedJobsInMemory"/> or <see cref="JobTrackingOptions.RetentionPeriod"/>); the message says both.</exception>
    Task<JobRecord> WaitForStatusAsync(Guid jobId, IReadOnlyCollection<JobStatus> statuses, CancellationToken cancellationToken = default);
}

/// <summary>How a job is shown and scheduled: display name, who launched it, priority, concurrency key, when it may run, its idempotency key and timeout.</summary>
public sealed record JobStartOptions
{
    /// <summary>The longest display name, launched-by or concurrency key accepted.</summary>
    public const int MaxTextLength = 500;

    /// <summary>The most jobs one <see cref="IJobRunner.StartManyAsync{TParameters}(string, IReadOnlyList{TParameters}, JobStartOptions?, CancellationToken)"/> call starts.</summary>
    public const int MaxBatchCount = 100_000;

    /// <summary>Gets the name shown to people; <see langword="null"/> for the job type's display name.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Gets who launched the job (a user name), or <see langword="null"/>.</summary>
    public string? LaunchedBy { get; init; }

    /// <summary>Gets the priority: higher runs first, -1000 to 1000. Default 0.</summary>
    public int Priority { get; init; }

    /// <summary>Gets the concurrency key: jobs with the same key run one at a time (e.g. one import per profile). <see langword="null"/> for none.</summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>The longest idempotency key accepted.</summary>
    public const int MaxIdempotencyKeyLength = 500;

    /// <summary>Gets the time before which the job does not run (judged by the store's clock); <see langword="null"/> for as soon as a worker is free. A time in the past runs it at once. Not with <see cref="Delay"/>.</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Gets how long after the start the job waits before it may run, counted on this node's clock; <see langword="null"/> for none. Not with <see cref="RunAt"/>; at most 3,650 days.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Gets the idempotency key: a start with a key that an earlier job holds returns that job's id and starts nothing (e.g. the id of the form or message that asked for the job). <see langword="null"/> for none.</summary>
    /// <remarks>An unfinished job always holds its key; a finished one holds it for <see cref="IdempotencyWindow"/> after it was created, or for as long as it is kept when the window is <see langword="null"/>. Atomic across every instance sharing the store.</remarks>
    public string? IdempotencyKey { get; init; }

    /// <summary>Gets how long after its creation a finished job keeps holding <see cref="IdempotencyKey"/>; <see langword="null"/> (the default) for as long as the job is kept. Needs <see cref="IdempotencyKey"/>.</summary>
    public TimeSpan? IdempotencyWindow { get; init; }

    /// <summary>Gets the longest one run of the job may take: when it is up, the job's token fires and the job fails with <see cref="JobTimeoutException"/> (which its retry policy may retry). <see langword="null"/> for the job type's <see cref="JobTypeOptions.Timeout"/>.</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>One item of <see cref="IJobRunner.StartManyAsync{TParameters}(string, IReadOnlyList{JobStartRequest{TParameters}}, CancellationToken)"/>: a job's parameters and its own options.</summary>
/// <typeparam name="TParameters">The job type's parameter type.</typeparam>
/// <param name="Parameters">The parameters, validated before anything is stored.</param>
/// <param name="Options">The job's options (an idempotency key, a time, a priority...); <see langword="null"/> for defaults.</param>
public sealed record JobStartRequest<TParameters>(TParameters Parameters, JobStartOptions? Options = null);
