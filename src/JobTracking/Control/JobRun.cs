using System.Text.Json;
using JobTracking.Journal;
using JobTracking.Ownership;
using JobTracking.Running;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.Control;

/// <summary>One execution of a job on this node: its control signals, checkpoint, report and journal, seen by the job as its context.</summary>
/// <remarks>The job may use its context from several tasks at once: every member is safe to call concurrently.</remarks>
internal abstract partial class JobRun : IJobContext, IDisposable
{
    private const int PauseRequested = 1;
    private const int ShutdownRequested = 2;
    private const int CancelRequested = 4;
    private const int MaxStepNameLength = 200;

    private readonly JobEngine _engine;
    private CancellationTokenSource? _cancellation;
    private readonly JsonSerializerOptions _serializerOptions;
    private List<StepState>? _steps; // under _reportLock, with the progress
    private Lock? _reportLock;
    private JobJournalOverflow? _overflow;
    private int _requests;
    private string? _checkpoint;
    private long _checkpointVersion; // raised by every SetCheckpoint
    private long _checkpointStoredVersion; // the highest version known to be stored
    private Lock? _signalLock; // made by the first signal: most runs never get one
    private long _signalVersion; // under _signalLock

    private Lock SignalLock => LazyInitializer.EnsureInitialized(ref _signalLock);
    private TaskCompletionSource? _withdrawn;
    private long _checkpointSavedAt;
    private long _progressDone; // under _reportLock
    private long _progressTotal = -1; // under _reportLock
    private int _reportDirty;
    private long _reportSavedAt;
    private int _reportSaving;
    private int _warnings;
    private int _journalWritten;
    private int _reportScheduled;
    private ITimer? _reportTimer;
    private volatile bool _ended;
    private int _finished;
    private TaskCompletionSource? _whenFinished;
    private SemaphoreSlim? _saveGate;
    private ILogger? _logger;

    protected JobRun(JobEngine engine, JobRecord job, JobLease lease, JsonSerializerOptions serializerOptions)
    {
        _engine = engine;
        _serializerOptions = serializerOptions;
        Job = job;
        Lease = lease;
        ClaimId = lease.ClaimId;
        _signalVersion = job.Version;
        _checkpoint = job.Checkpoint;

        // Counters go with the checkpoint the run resumes from, so work repeated after a crash is not counted twice;
        // without a checkpoint the work starts over, and so do they.
        var start = job.Checkpoint is null
            ? JobReport.Empty
            : job.CheckpointReport ?? new JobReport { Progress = job.Progress, Steps = job.Steps, WarningCount = job.WarningCount };
        _progressDone = start.Progress.Done;
        _progressTotal = start.Progress.Total ?? -1;
        _warnings = start.WarningCount;
        if (start.Steps.Count > 0)
        {
            _steps = [.. start.Steps.Select(step => new StepState(this, step))];
        }

        _checkpointSavedAt = _reportSavedAt = engine.TimeProvider.GetTimestamp();
    }

    // Created on first use: most runs never cancel, journal in overflow, or report before they end.
    private CancellationTokenSource Cancellation => LazyInitializer.EnsureInitialized(ref _cancellation);

    private JobJournalOverflow Overflow => Volatile.Read(ref _overflow) ?? CreateOverflow();

    private Lock ReportLock => LazyInitializer.EnsureInitialized(ref _reportLock);

    /// <summary>Gets the job as it was claimed.</summary>
    public JobRecord Job { get; }

    public Guid JobId => Job.Id;

    public string TypeName => Job.TypeName;

    public int Attempt => Job.Attempt;

    /// <summary>Gets the claim this run holds; every write it makes carries it.</summary>
    public Guid? ClaimId { get; }

    /// <summary>Gets the lease of the run's claim: every write asks it first.</summary>
    public JobLease Lease { get; }

    public long FencingToken => Lease.FencingToken;

    /// <summary>Gets whether this run may no longer write: its claim was refused, replaced or dropped, its lease ran out on this node, or the run ended.</summary>
    public bool IsLost => !Lease.IsHeld;

    public CancellationToken CancellationToken => Cancellation.Token;

    public string? Checkpoint => Volatile.Read(ref _checkpoint);

    public bool IsCheckpointDirty => Interlocked.Read(ref _checkpointVersion) != Interlocked.Read(ref _checkpointStoredVersion);

    public bool IsCancelRequested => (Volatile.Read(ref _requests) & CancelRequested) != 0;

    /// <summary>Gets whether a pause, cancel or shutdown is flagged for this run.</summary>
    public bool HasPendingRequest => Volatile.Read(ref _requests) != 0;

    public bool IsReportDirty => Volatile.Read(ref _reportDirty) != 0;

    public bool HasRunningSteps
    {
        get
        {
            if (Volatile.Read(ref _steps) is null)
            {
                return false; // no step was ever declared: no lock to make
            }

            lock (ReportLock)
            {
                return _steps?.Exists(s => s.IsRunning) == true;
            }
        }
    }

    public ILogger Logger => _logger ??= new JobLogger(this, _engine.LoggerFactory.CreateLogger("JobTracking.Jobs." + TypeName));

    public T? GetCheckpoint<T>() => CheckpointJson.Read<T>(Checkpoint, JobId, _serializerOptions);

    public void SetCheckpoint<T>(T checkpoint)
    {
        // The value first, then its version: a save that reads the version before the value stores this value or a newer one.
        Volatile.Write(ref _checkpoint, CheckpointJson.Write(checkpoint, _serializerOptions));
        Interlocked.Increment(ref _checkpointVersion);
    }

    public void ReportProgress(long done, long? total = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(done);
        if (total is { } t)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(t, nameof(total));
        }

        // Both under the lock: a report read meanwhile, or a call from another task, never pairs one call's done with another's total.
        lock (ReportLock)
        {
            _progressDone = done;
            _progressTotal = total ?? -1;
        }

        ReportChanged();
    }

    public ValueTask LogAsync(LogLevel level, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return WriteAsync(LogEntry(level, message));
    }

    public ValueTask RejectAsync(long recordNumber, string rawRecord, string reason)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(recordNumber);
        ArgumentNullException.ThrowIfNull(rawRecord);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        CountReject();
        return WriteAsync(new JobJournalEntry
        {
            JobId = JobId,
            ClaimId = ClaimId,
            Kind = JobJournalKind.Reject,
            At = _engine.TimeProvider.GetUtcNow(),
            Level = LogLevel.Warning,
            Text = Truncate(rawRecord),
            RecordNumber = recordNumber,
            Reason = Truncate(reason),
        });
    }

    public void DefineSteps(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            GetOrAddStep(name);
        }

        ReportChanged();
    }

    public IJobStep BeginStep(string name)
    {
        var step = GetOrAddStep(name);
        step.Begin(_engine.TimeProvider.GetUtcNow());
        ReportChanged();
        return step;
    }

    public ValueTask SafePointAsync()
    {
        var requests = Volatile.Read(ref _requests);
        if (requests != 0)
        {
            if ((requests & CancelRequested) != 0)
            {
                throw new OperationCanceledException($"Job '{JobId}' was cancelled.", CancellationToken);
            }

            throw new JobSuspendedException(JobId);
        }

        Volatile.Read(ref _cancellation)?.Token.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _overflow)?.HasEntries == true)
        {
            return DrainAndCheckpointAsync();
        }

        return IsCheckpointDirty && TryTakeCheckpointTurn() ? SaveCheckpointAsync() : ValueTask.CompletedTask;
    }

    public void RequestPause() => Interlocked.Or(ref _requests, PauseRequested);

    /// <summary>Applies a pause, cancel or resume read from the change feed (or made by a command here), unless a newer one was applied already.</summary>
    /// <param name="status">The status the job moved to: Pausing, Cancelling, or Running (resumed from Pausing).</param>
    /// <param name="version">The job's version after that move.</param>
    public void ApplySignal(JobStatus status, long version)
    {
        lock (SignalLock)
        {
            if (version <= _signalVersion)
            {
                return; // older than what this run already acted on (or than its claim)
            }

            _signalVersion = version;
            switch (status)
            {
                case JobStatus.Pausing:
                    RequestPause();
                    break;
                case JobStatus.Cancelling:
                    FlagCancel();
                    break;
                case JobStatus.Running:
                    ClearPause();
                    break;
            }
        }

        if (status == JobStatus.Cancelling)
        {
            FireCancellation(); // outside the lock: the token's callbacks are the job's
        }
    }

    /// <summary>Takes back a pause or cancel flagged ahead of a command whose move was not stored, unless the move is known to have happened: a signal for a version after <paramref name="expectedVersion"/> was applied.</summary>
    /// <param name="status">Pausing or Cancelling: the move the command tried.</param>
    /// <param name="expectedVersion">The version the command expected the job to have.</param>
    public void WithdrawFlag(JobStatus status, long expectedVersion)
    {
        lock (SignalLock)
        {
            if (_signalVersion > expectedVersion)
            {
                return; // the feed (or the command itself) saw the job move on: the flag is the store's truth now
            }

            if (status == JobStatus.Pausing)
            {
                ClearPause();
            }
            else
            {
                UnflagCancel();
            }
        }

        Interlocked.Exchange(ref _withdrawn, null)?.TrySetResult();
    }

    /// <summary>Gets a task that completes the next time a flag is taken back (see <see cref="WithdrawFlag"/>); get it before checking the flags.</summary>
    public Task WhenFlagWithdrawn()
    {
        var current = Volatile.Read(ref _withdrawn);
        if (current is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            current = Interlocked.CompareExchange(ref _withdrawn, created, null) ?? created;
        }

        return current.Task;
    }

    public void ClearPause() => Interlocked.And(ref _requests, ~PauseRequested);

    public void RequestShutdown() => Interlocked.Or(ref _requests, ShutdownRequested);

    public void RequestCancel()
    {
        FlagCancel();
        FireCancellation();
    }

    /// <summary>Makes the next safe point cancel, without firing the token yet.</summary>
    public void FlagCancel() => Interlocked.Or(ref _requests, CancelRequested);

    /// <summary>Takes back a cancel flag whose command never got stored (its caller gave up).</summary>
    public void UnflagCancel() => Interlocked.And(ref _requests, ~CancelRequested);

    /// <summary>Records that the store no longer lets this run write (its claim was taken or its job is gone), fires the token and logs it once.</summary>
    public void MarkLost(string reason) => Lease.Lose(reason);

    /// <summary>Records that the run's code has returned and its outcome is settled: a newer run of the same job on this instance may start.</summary>
    public void MarkFinished()
    {
        Interlocked.Exchange(ref _finished, 1);
        Volatile.Read(ref _whenFinished)?.TrySetResult();
    }

    /// <summary>Gets a task that completes once <see cref="MarkFinished"/> was called.</summary>
    public Task WhenFinished()
    {
        var finished = LazyInitializer.EnsureInitialized(ref _whenFinished, static () => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (Volatile.Read(ref _finished) != 0)
        {
            finished.TrySetResult();
        }

        return finished.Task;
    }

    /// <summary>Fires the token without recording a user's cancel: the host's grace period ran out.</summary>
    public void FireCancellation()
    {
        // Callbacks registered by the job run elsewhere, so a command never runs job code on its own thread.
        _ = Cancellation.CancelAsync();
    }

    /// <summary>Waits until every log line and reject this run wrote is stored.</summary>
    public async ValueTask FlushJournalAsync()
    {
        if (Volatile.Read(ref _journalWritten) == 0)
        {
            return;
        }

        if (Volatile.Read(ref _overflow) is { } overflow)
        {
            await overflow.DrainAsync().ConfigureAwait(false);
        }

        await _engine.Journal.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Records that the run is storing the status that ends it: once that commits the job has no claim, so a lease renewal that misses it says nothing about ownership.</summary>
    public void BeginStoringOutcome() => Lease.BeginStoringOutcome();

    /// <summary>Runs the job's code once.</summary>
    public abstract ValueTask ExecuteAsync();

    public void Dispose()
    {
        _ended = true;
        _reportTimer?.Dispose();
        _timeoutTimer?.Dispose();
        _cancellation?.Dispose();
        _saveGate?.Dispose();
        _overflow?.Dispose();
    }

    // A reject is one warning: the job's, and also the step's while exactly one step is under way, so that the step
    // table and the job's count agree (an import that rejects 5 rows says 5 on the job and 5 on the step that read them).
    private void CountReject()
    {
        if (Volatile.Read(ref _steps) is not null)
        {
            lock (ReportLock)
            {
                StepState? running = null;
                var count = 0;
                foreach (var step in _steps!)
                {
                    if (step.IsRunning)
                    {
                        running = step;
                        count++;
                    }
                }

                if (count == 1)
                {
                    running!.CountReject();
                }
            }
        }

        AddWarnings(1);
    }

    internal void AddWarnings(long count)
    {
        Interlocked.Add(ref _warnings, (int)Math.Min(count, int.MaxValue));
        ReportChanged();
    }

    /// <summary>The synchronous path of <see cref="Logger"/>: buffer now, or keep in order in the job until the next safe point finds room.</summary>
    internal void Write(LogLevel level, string message)
    {
        var entry = LogEntry(level, message);
        Volatile.Write(ref _journalWritten, 1);
        Overflow.Write(entry);
    }

    private JobJournalEntry LogEntry(LogLevel level, string message)
    {
        if (level >= LogLevel.Warning && level != LogLevel.None)
        {
            AddWarnings(1);
        }

        return new JobJournalEntry
        {
            JobId = JobId,
            ClaimId = ClaimId,
            Kind = JobJournalKind.Log,
            At = _engine.TimeProvider.GetUtcNow(),
            Level = level,
            Text = Truncate(message),
        };
    }

    private string Truncate(string text)
    {
        var max = _engine.Options.MaxJournalTextLength;
        if (text.Length <= max)
        {
            return text;
        }

        // Never half a surrogate pair: the kept part stays valid UTF-16, which every store can hold.
        var kept = char.IsHighSurrogate(text[max - 1]) && char.IsLowSurrogate(text[max]) ? max - 1 : max;
        return string.Concat(text.AsSpan(0, kept), $"… [truncated: {text.Length} characters in all]");
    }

    private async ValueTask WriteAsync(JobJournalEntry entry)
    {
        Volatile.Write(ref _journalWritten, 1);
        // Lines this task logged before, still waiting in the job, go first.
        if (Volatile.Read(ref _overflow) is { HasEntries: true } overflow)
        {
            await overflow.DrainAsync().ConfigureAwait(false);
        }

        await _engine.Journal.WriteAsync(entry, Lease).ConfigureAwait(false);
    }

    private StepState GetOrAddStep(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Length > MaxStepNameLength)
        {
            throw new ArgumentException($"A step name must be at most {MaxStepNameLength} characters; it has {name.Length}.", nameof(name));
        }

        lock (ReportLock)
        {
            foreach (var step in _steps ?? [])
            {
                if (string.Equals(step.Name, name, StringComparison.Ordinal))
                {
                    return step;
                }
            }

            var added = new StepState(this, new JobStep { Name = name });
            (_steps ??= []).Add(added);
            return added;
        }
    }

    // Made by the first line the buffer has no room for: most runs never need one.
    private JobJournalOverflow CreateOverflow()
    {
        var created = new JobJournalOverflow(_engine.Journal, Lease);
        var existing = Interlocked.CompareExchange(ref _overflow, created, null);
        if (existing is null)
        {
            return created;
        }

        created.Dispose();
        return existing;
    }
}
