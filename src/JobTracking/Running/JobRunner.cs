using JobTracking.Storage;
using JobTracking.Control;
using JobTracking.Definitions;

namespace JobTracking.Running;

/// <summary>The commands of <see cref="IJobRunner"/>: each reads the job, picks the move its status allows, and compares-and-sets it.</summary>
internal sealed class JobRunner : IJobRunner
{
    // How many refused moves in a row a command takes before it gives up with an error naming the job.
    private const int MaxRefusedMoves = 100;

    private readonly JobEngine _engine;

    public JobRunner(JobEngine engine)
    {
        _engine = engine;
    }

    /// <summary>Gets the engine the runner drives (its store, for a store package's runner that writes in the application's transaction).</summary>
    internal JobEngine Engine => _engine;

    public JobLauncher<TJob> Job<TJob>()
        where TJob : class, IJobDefinition => new(this, _engine.Registry.Get(typeof(TJob)).TypeName);

    public ValueTask<Guid> StartAsync<TParameters>(string jobType, TParameters parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default) =>
        CreateAsync(jobType, parameters, options, JobStatus.Queued, cancellationToken);

    public async ValueTask<IReadOnlyList<Guid>> StartManyAsync<TParameters>(string jobType, IReadOnlyList<TParameters> parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobType);
        ArgumentNullException.ThrowIfNull(parameters);
        cancellationToken.ThrowIfCancellationRequested();
        var type = _engine.Registry.Get(jobType);
        CheckOptions(options);
        if (parameters.Count > JobStartOptions.MaxBatchCount)
        {
            throw new ArgumentException(
                $"One call starts at most {JobStartOptions.MaxBatchCount:N0} jobs; this one has {parameters.Count:N0}. Split the list into several calls.", nameof(parameters));
        }

        if (parameters.Count == 0)
        {
            return [];
        }

        if (options?.IdempotencyKey is not null && parameters.Count > 1)
        {
            throw new ArgumentException(
                "An idempotency key names one job, and these options are shared by every item of the batch: give each item its own key with StartManyAsync(jobType, requests) (a list of JobStartRequest).", nameof(options));
        }

        var json = JobBatch.Serialize(type, parameters);
        var now = _engine.TimeProvider.GetUtcNow();
        var jobs = new JobRecord[json.Length];
        for (var i = 0; i < jobs.Length; i++)
        {
            jobs[i] = NewJob(type, json[i], options, JobStatus.Queued, now);
        }

        return await _engine.CreateManyAsync(jobs, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<Guid>> StartManyAsync<TParameters>(string jobType, IReadOnlyList<JobStartRequest<TParameters>> requests, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobType);
        ArgumentNullException.ThrowIfNull(requests);
        cancellationToken.ThrowIfCancellationRequested();
        var type = _engine.Registry.Get(jobType);
        if (requests.Count > JobStartOptions.MaxBatchCount)
        {
            throw new ArgumentException(
                $"One call starts at most {JobStartOptions.MaxBatchCount:N0} jobs; this one has {requests.Count:N0}. Split the list into several calls.", nameof(requests));
        }

        if (requests.Count == 0)
        {
            return [];
        }

        var parameters = new TParameters[requests.Count];
        for (var i = 0; i < parameters.Length; i++)
        {
            var request = requests[i] ?? throw new ArgumentException($"Request {i} of the batch is null.", nameof(requests));
            try
            {
                CheckOptions(request.Options);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"Request {i} of the batch: {ex.Message}", nameof(requests), ex);
            }

            parameters[i] = request.Parameters;
        }

        var json = JobBatch.Serialize(type, parameters);
        var now = _engine.TimeProvider.GetUtcNow();
        var jobs = new JobRecord[json.Length];
        for (var i = 0; i < jobs.Length; i++)
        {
            jobs[i] = NewJob(type, json[i], requests[i].Options, JobStatus.Queued, now);
        }

        return await _engine.CreateManyAsync(jobs, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<Guid> CreateDraftAsync<TParameters>(string jobType, TParameters parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default) =>
        CreateAsync(jobType, parameters, options, JobStatus.Editing, cancellationToken);

    public async ValueTask UpdateDraftAsync<TParameters>(Guid jobId, TParameters parameters, string? displayName = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        CheckText(displayName, nameof(displayName));
        JobRecord? previous = null;
        for (var refused = 0; ; refused++)
        {
            var job = await GetRequiredAsync(jobId, cancellationToken).ConfigureAwait(false);
            if (job.Status != JobStatus.Editing)
            {
                throw new InvalidJobTransitionException(jobId, job.Status, JobCommand.Edit);
            }

            if (refused == MaxRefusedMoves)
            {
                throw LostAcknowledgement.GaveUp(JobCommand.Edit, refused, job, previous!);
            }

            previous = job;
            var json = _engine.Registry.Get(job.TypeName).SerializeParameters(parameters);
            var name = displayName ?? job.DisplayName;
            var attempt = new Attempt(_engine);
            if (await _engine.Retry.RunAsync((attempt, job.Id, job.Version, json, name), static async (s, ct) =>
                {
                    try
                    {
                        return await s.attempt.Store.TryUpdateDraftAsync(s.Id, s.Version, s.json, s.name, ct).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        s.attempt.Saw(ex);
                        throw;
                    }
                }, cancellationToken).ConfigureAwait(false)
                || (attempt.Error is not null && await LostAcknowledgement.WasDraftEditStoredAsync(_engine, job, json, name, cancellationToken).ConfigureAwait(false)))
            {
                return;
            }
        }
    }

    public ValueTask SubmitAsync(Guid jobId, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.Submit, null, cancellationToken);

    public ValueTask SubmitAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.Submit, options, cancellationToken);

    public ValueTask PauseAsync(Guid jobId, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.Pause, null, cancellationToken);

    public ValueTask PauseAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.Pause, options, cancellationToken);

    public ValueTask ResumeAsync(Guid jobId, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.Resume, null, cancellationToken);

    public ValueTask ResumeAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.Resume, options, cancellationToken);

    public ValueTask CancelAsync(Guid jobId, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.Cancel, null, cancellationToken);

    public ValueTask CancelAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.Cancel, options, cancellationToken);

    public ValueTask RestartAsync(Guid jobId, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.Restart, null, cancellationToken);

    public ValueTask RestartAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.Restart, options, cancellationToken);

    public ValueTask RunNowAsync(Guid jobId, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.RunNow, null, cancellationToken);

    public ValueTask RunNowAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default) => CommandAsync(jobId, JobCommand.RunNow, options, cancellationToken);

    public async Task<JobRecord> WaitForStatusAsync(Guid jobId, IReadOnlyCollection<JobStatus> statuses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        if (statuses.Count == 0)
        {
            throw new ArgumentException("Name at least one status to wait for.", nameof(statuses));
        }

        // The feed's one reader wakes every waiter of a job when the job changes, whichever process changed it.
        await _engine.Feed.StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var changed = _engine.WaitForChangeAsync(jobId);
            var job = await _engine.GetAsync(jobId, cancellationToken).ConfigureAwait(false) ?? throw JobNotFoundException.WhileWaiting(jobId);
            if (statuses.Contains(job.Status))
            {
                return job;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static JobStatus? Target(JobCommand command, JobStatus status) => (command, status) switch
    {
        (JobCommand.Submit, JobStatus.Editing) => JobStatus.Queued,
        (JobCommand.Pause, JobStatus.Running) => JobStatus.Pausing,
        (JobCommand.Pause, JobStatus.Queued) => JobStatus.Paused,
        (JobCommand.Resume, JobStatus.Paused) => JobStatus.Queued,
        (JobCommand.Resume, JobStatus.Pausing) => JobStatus.Running,
        (JobCommand.Cancel, JobStatus.Running or JobStatus.Pausing) => JobStatus.Cancelling,
        (JobCommand.Cancel, JobStatus.Editing or JobStatus.Queued or JobStatus.Paused or JobStatus.Interrupted) => JobStatus.Cancelled,
        (JobCommand.Restart, JobStatus.Failed or JobStatus.Interrupted) => JobStatus.Queued,
        (JobCommand.RunNow, JobStatus.Queued) => JobStatus.Queued,
        _ => null,
    };

    private static void CheckText(string? value, string name)
    {
        if (value is not null && (value.Length > JobStartOptions.MaxTextLength || string.IsNullOrWhiteSpace(value)))
        {
            throw new ArgumentException($"{name} must be 1 to {JobStartOptions.MaxTextLength} characters and not blank; it has {value.Length}.", name);
        }
    }

    // Not an async method (one state machine fewer per start): a bad argument still comes out as the returned task's
    // error, as it would from one.
    private ValueTask<Guid> CreateAsync<TParameters>(string jobType, TParameters parameters, JobStartOptions? options, JobStatus status, CancellationToken cancellationToken)
    {
        JobRecord job;
        try
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(jobType);
            cancellationToken.ThrowIfCancellationRequested();
            var type = _engine.Registry.Get(jobType);
            CheckOptions(options);
            var json = type.SerializeParameters(parameters);
            job = NewJob(type, json, options, status, _engine.TimeProvider.GetUtcNow());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<Guid>(cancellationToken);
        }
#pragma warning disable CA1031 // Not caught: handed to the caller in the returned task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return ValueTask.FromException<Guid>(ex);
        }

        return _engine.CreateAsync(job, cancellationToken);
    }

    private static void CheckOptions(JobStartOptions? options)
    {
        if (options is not null)
        {
            CheckText(options.DisplayName, nameof(options.DisplayName));
            CheckText(options.LaunchedBy, nameof(options.LaunchedBy));
            CheckText(options.ConcurrencyKey, nameof(options.ConcurrencyKey));
            if (options.Priority is < -1000 or > 1000)
            {
                throw new ArgumentOutOfRangeException(nameof(options), options.Priority, "Priority must be between -1000 and 1000.");
            }

            if (options.RunAt is not null && options.Delay is not null)
            {
                throw new ArgumentException("Give RunAt or Delay, not both: each says when the job may run.", nameof(options));
            }

            if (options.Delay is { } delay && (delay < TimeSpan.Zero || delay > MaxDelay))
            {
                throw new ArgumentOutOfRangeException(nameof(options), delay, $"Delay must be between 0 and {MaxDelay.TotalDays:N0} days; it is {delay}.");
            }

            if (options.IdempotencyKey is { } key && (key.Length > JobStartOptions.MaxIdempotencyKeyLength || string.IsNullOrWhiteSpace(key)))
            {
                throw new ArgumentException($"IdempotencyKey must be 1 to {JobStartOptions.MaxIdempotencyKeyLength} characters and not blank; it has {key.Length}.", nameof(options));
            }

            if (options.IdempotencyWindow is { } window)
            {
                if (options.IdempotencyKey is null)
                {
                    throw new ArgumentException("IdempotencyWindow needs an IdempotencyKey: it says how long a finished job keeps its key.", nameof(options));
                }

                if (window <= TimeSpan.Zero || window > MaxDelay)
                {
                    throw new ArgumentOutOfRangeException(nameof(options), window, $"IdempotencyWindow must be more than 0 and at most {MaxDelay.TotalDays:N0} days; it is {window}.");
                }
            }

            if (options.Timeout is { } timeout && (timeout <= TimeSpan.Zero || timeout > MaxDelay))
            {
                throw new ArgumentOutOfRangeException(nameof(options), timeout, $"Timeout must be more than 0 and at most {MaxDelay.TotalDays:N0} days; it is {timeout}.");
            }
        }
    }

    // The longest delay, idempotency window or timeout a start takes: ten years.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(3650);

    private static JobRecord NewJob(JobType type, string json, JobStartOptions? options, JobStatus status, DateTimeOffset now) => new()
    {
        Id = RandomIds.NewVersion7(now),
        TypeName = type.TypeName,
        DisplayName = options?.DisplayName ?? type.DisplayName,
        Status = status,
        Version = 1,
        Parameters = json,
        LaunchedBy = options?.LaunchedBy,
        Priority = options?.Priority ?? 0,
        ConcurrencyKey = options?.ConcurrencyKey,
        CreatedAt = now,
        RunAfter = options?.RunAt ?? (options?.Delay is { } delay ? now + delay : null),
        IdempotencyKey = options?.IdempotencyKey,
        IdempotentUntil = options?.IdempotencyWindow is { } window ? now + window : null,
        Timeout = options?.Timeout,
    };

    private async ValueTask CommandAsync(Guid jobId, JobCommand command, JobCommandOptions? options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (options is not null)
        {
            CheckText(options.Actor, nameof(options.Actor));
            CheckText(options.Reason, nameof(options.Reason));
        }

        // A command written in the application's transaction may yet be rolled back: it is refused for an active job, and
        // nothing here (metrics, the scheduler) hears of it before the commit; the change feed tells everyone after it.
        var inTransaction = StoreTransactionFlow.IsActive;
        JobRecord? previous = null;
        for (var refused = 0; ; refused++)
        {
            var job = await GetRequiredAsync(jobId, cancellationToken).ConfigureAwait(false);
            var to = Target(command, job.Status) ?? throw new InvalidJobTransitionException(jobId, job.Status, command);
            if (inTransaction && JobLifecycle.IsActive(job.Status))
            {
                // The move would lock the job's row until the application commits, and the run's own writes (its progress,
                // checkpoints and lease renewals, which share a statement with other jobs') would wait for that commit.
                throw new JobTrackingException(
                    $"Job {jobId} is {job.Status}: a command on an active job cannot be written in the application's transaction (its row would stay locked, "
                    + "holding up the run's own writes, until the commit). Issue it after the commit, with the runner itself.");
            }

            // Each refused move means the job changed since it was read, so a few in a row are a busy job; many are a store
            // that reads the job one way and compares it another (a row edited by hand), and waiting longer would not help.
            if (refused == MaxRefusedMoves)
            {
                throw LostAcknowledgement.GaveUp(command, refused, job, previous!);
            }

            previous = job;

            // Pause and cancel are flagged before the status says so, so the first safe point after that status is
            // visible honours them. If the move then loses, another command won: the flag is still right, or unused.
            JobRun? local = null;
            if (to is JobStatus.Pausing or JobStatus.Cancelling && _engine.TryGetRun(jobId, out local))
            {
                if (to == JobStatus.Pausing)
                {
                    local.RequestPause();
                }
                else
                {
                    local.FlagCancel();
                }
            }

            var transition = _engine.Transition(job, to) with
            {
                IsNewAttempt = command == JobCommand.Restart,

                // A submitted draft and a resumed job keep the time they wait for; a restart and "run now" run at once.
                RunAfter = command is JobCommand.Submit or JobCommand.Resume ? job.RunAfter : null,
            };
            var feedPosition = _engine.Feed.Position; // read before the move: any change the move makes comes after it
            var attempt = new Attempt(_engine);
            bool applied;
            try
            {
                applied = await _engine.Retry.RunAsync((attempt, transition), static async (s, ct) =>
                {
                    try
                    {
                        return await s.attempt.Store.TryTransitionAsync(s.transition, ct).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        s.attempt.Saw(ex);
                        throw;
                    }
                }, cancellationToken).ConfigureAwait(false);

                // Refused after a transient error: the error may have come after the store applied the first attempt.
                if (!applied && attempt.Error is { } error)
                {
                    applied = await LostAcknowledgement.WasMoveStoredAsync(_engine, job, transition, feedPosition, error, command, cancellationToken).ConfigureAwait(false);
                }
            }
            catch when (local is not null)
            {
                // The caller gave up (or the store failed) and the move may not be stored: the flag must not stop the
                // job on its own. If the move was stored after all, the feed's signal for it wins over this.
                local.WithdrawFlag(to, job.Version);
                throw;
            }

            if (!applied)
            {
                continue; // lost a race: read the new status and decide again
            }

            // The run learns it from the change feed wherever it runs; a run here is told at once. Raised after the move and
            // before the lookup, so a worker registering its run meanwhile catches up by itself.
            if (!inTransaction)
            {
                _engine.AnnounceCommand(job, transition);
                _engine.RaiseCommandEpoch();
            }

            if (to is JobStatus.Pausing or JobStatus.Cancelling or JobStatus.Running && _engine.TryGetRun(jobId, out var run))
            {
                run.ApplySignal(to, transition.ExpectedVersion + 1);
            }

            // After the move, never before: a host that stops in between loses the entry, never the change.
            await _engine.History.RecordCommandAsync(job, command, to, transition.At, options, cancellationToken).ConfigureAwait(false);
            return;
        }
    }

    /// <summary>One command's store writes: whether any of them failed with a transient error, after which its outcome is unknown until read.</summary>
    private sealed class Attempt(JobEngine engine)
    {
        public IJobStore Store => engine.Store;

        /// <summary>Gets the last transient error of a try, or <see langword="null"/> when every try was answered.</summary>
        public Exception? Error { get; private set; }

        /// <summary>Records <paramref name="exception"/> when it is transient: the retry will try again, and the try may have been stored.</summary>
        public void Saw(Exception exception)
        {
            if (engine.Retry.IsTransient(exception))
            {
                Error = exception;
            }
        }
    }

    private async ValueTask<JobRecord> GetRequiredAsync(Guid jobId, CancellationToken cancellationToken) =>
        await _engine.GetAsync(jobId, cancellationToken).ConfigureAwait(false) ?? throw new JobNotFoundException(jobId);
}
