using System.Text.Json;
using JobTracking.Running;

namespace JobTracking.Control;

/// <summary>One execution of a job on this node: its control signals, checkpoint and progress, seen by the job as its context.</summary>
internal abstract class JobRun : IJobContext, IDisposable
{
    private const int PauseRequested = 1;
    private const int ShutdownRequested = 2;
    private const int CancelRequested = 4;

    private readonly JobEngine _engine;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly JsonSerializerOptions _serializerOptions;
    private int _requests;
    private string? _checkpoint;
    private int _checkpointDirty;
    private long _checkpointSavedAt;
    private long _progressDone;
    private long _progressTotal = -1;
    private int _progressDirty;
    private long _progressSavedAt;
    private int _progressSaving;

    protected JobRun(JobEngine engine, JobRecord job, JsonSerializerOptions serializerOptions)
    {
        _engine = engine;
        _serializerOptions = serializerOptions;
        Job = job;
        _checkpoint = job.Checkpoint;
        _progressDone = job.Progress.Done;
        _progressTotal = job.Progress.Total ?? -1;
        _checkpointSavedAt = _progressSavedAt = engine.TimeProvider.GetTimestamp();
    }

    /// <summary>Gets the job as it was claimed.</summary>
    public JobRecord Job { get; }

    public Guid JobId => Job.Id;

    public string TypeName => Job.TypeName;

    public int Attempt => Job.Attempt;

    public CancellationToken CancellationToken => _cancellation.Token;

    public string? Checkpoint => Volatile.Read(ref _checkpoint);

    public bool IsCheckpointDirty => Volatile.Read(ref _checkpointDirty) != 0;

    public bool IsCancelRequested => (Volatile.Read(ref _requests) & CancelRequested) != 0;

    public JobProgress Progress
    {
        get
        {
            var total = Volatile.Read(ref _progressTotal);
            return new JobProgress(Volatile.Read(ref _progressDone), total < 0 ? null : total);
        }
    }

    public bool IsProgressDirty => Volatile.Read(ref _progressDirty) != 0;

    public void SetCheckpoint(string? checkpoint)
    {
        Volatile.Write(ref _checkpoint, checkpoint);
        Volatile.Write(ref _checkpointDirty, 1);
    }

    public T? GetCheckpoint<T>()
    {
        var checkpoint = Checkpoint;
        return checkpoint is null ? default : JsonSerializer.Deserialize<T>(checkpoint, _serializerOptions);
    }

    public void SetCheckpoint<T>(T checkpoint) => SetCheckpoint(JsonSerializer.Serialize(checkpoint, _serializerOptions));

    public void ReportProgress(long done, long? total = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(done);
        if (total is { } t)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(t, nameof(total));
        }

        Volatile.Write(ref _progressDone, done);
        Volatile.Write(ref _progressTotal, total ?? -1);
        Volatile.Write(ref _progressDirty, 1);
        if (Elapsed(_progressSavedAt) >= _engine.Options.ProgressInterval && Interlocked.Exchange(ref _progressSaving, 1) == 0)
        {
            _ = SaveProgressAsync();
        }
    }

    public ValueTask SafePointAsync()
    {
        var requests = Volatile.Read(ref _requests);
        if (requests != 0)
        {
            if ((requests & CancelRequested) != 0)
            {
                throw new OperationCanceledException($"Job '{JobId}' was cancelled.", _cancellation.Token);
            }

            throw new JobSuspendedException(JobId);
        }

        _cancellation.Token.ThrowIfCancellationRequested();
        return IsCheckpointDirty && Elapsed(Volatile.Read(ref _checkpointSavedAt)) >= _engine.Options.CheckpointInterval
            ? SaveCheckpointAsync()
            : ValueTask.CompletedTask;
    }

    public void RequestPause() => Interlocked.Or(ref _requests, PauseRequested);

    public void ClearPause() => Interlocked.And(ref _requests, ~PauseRequested);

    public void RequestShutdown() => Interlocked.Or(ref _requests, ShutdownRequested);

    public void RequestCancel()
    {
        Interlocked.Or(ref _requests, CancelRequested);
        FireCancellation();
    }

    /// <summary>Fires the token without recording a user's cancel: the host's grace period ran out.</summary>
    public void FireCancellation()
    {
        // Callbacks registered by the job run elsewhere, so a command never runs job code on its own thread.
        _ = _cancellation.CancelAsync();
    }

    /// <summary>Marks the checkpoint and progress as stored with the transition that ends this run.</summary>
    public void MarkStored()
    {
        Volatile.Write(ref _checkpointDirty, 0);
        Volatile.Write(ref _progressDirty, 0);
    }

    /// <summary>Runs the job's code once.</summary>
    public abstract ValueTask ExecuteAsync();

    public void Dispose() => _cancellation.Dispose();

    private TimeSpan Elapsed(long since) => _engine.TimeProvider.GetElapsedTime(since);

    private async ValueTask SaveCheckpointAsync()
    {
        Volatile.Write(ref _checkpointDirty, 0);
        Volatile.Write(ref _checkpointSavedAt, _engine.TimeProvider.GetTimestamp());
        await _engine.Store.SaveCheckpointAsync(JobId, Checkpoint, _cancellation.Token).ConfigureAwait(false);
    }

    private async Task SaveProgressAsync()
    {
        try
        {
            Volatile.Write(ref _progressDirty, 0);
            Volatile.Write(ref _progressSavedAt, _engine.TimeProvider.GetTimestamp());
            await _engine.SaveProgressAsync(this).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _progressSaving, 0);
        }
    }
}

/// <summary>One execution of a job whose parameters are <typeparamref name="TParameters"/>.</summary>
internal sealed class JobRun<TParameters> : JobRun, IJobContext<TParameters>
{
    private readonly IJobDefinition<TParameters> _definition;

    public JobRun(JobEngine engine, JobRecord job, TParameters parameters, IJobDefinition<TParameters> definition, JsonSerializerOptions serializerOptions)
        : base(engine, job, serializerOptions)
    {
        Parameters = parameters;
        _definition = definition;
    }

    public TParameters Parameters { get; }

    public override ValueTask ExecuteAsync() => _definition.ExecuteAsync(this);
}

/// <summary>Thrown at a safe point to unwind a job that is pausing or whose host is stopping; the engine stores its checkpoint.</summary>
internal sealed class JobSuspendedException : OperationCanceledException
{
    public JobSuspendedException(Guid jobId)
        : base($"Job '{jobId}' is suspended at a safe point (pause or host shutdown).")
    {
    }
}
