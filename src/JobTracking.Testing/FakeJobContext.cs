using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace JobTracking.Testing;

/// <summary>
/// A job context for unit-testing a job type without the engine: hand it to <c>ExecuteAsync</c>, then read what the
/// job reported (checkpoint, progress, steps, log, rejects), or ask for a pause or cancel to see how it stops.
/// </summary>
/// <remarks>
/// Like the engine's context, it may be used from several tasks of the job at once.
/// To run a job as if resumed, hand it the <see cref="CheckpointJson"/> of an earlier context, or call
/// <see cref="SetCheckpoint{T}"/> before <c>ExecuteAsync</c>.
/// </remarks>
/// <typeparam name="TParameters">The job's parameters.</typeparam>
public sealed class FakeJobContext<TParameters> : IJobContext<TParameters>, IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TimeProvider _time;
    private readonly JsonSerializerOptions _serializerOptions;
    private readonly Lock _lock = new();
    private readonly List<JobLogEntry> _log = [];
    private readonly List<JobReject> _rejects = [];
    private readonly List<FakeStep> _steps = [];
    private int _warnings;
    private int _safePoints;
    private volatile bool _pauseRequested;
    private JobProgress _progress; // under _lock: two longs are not written at once
    private volatile string? _checkpointJson;

    /// <summary>Creates a context for one run.</summary>
    /// <param name="parameters">The parameters the job sees.</param>
    /// <param name="checkpointJson">The checkpoint of an earlier run as stored (its <see cref="CheckpointJson"/>), or <see langword="null"/> for a first run.</param>
    /// <param name="timeProvider">The clock for log and step times. Default: <see cref="TimeProvider.System"/>.</param>
    /// <param name="serializerOptions">JSON options for typed checkpoints. Default: <see cref="JsonSerializerDefaults.Web"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="checkpointJson"/> is not JSON.</exception>
    public FakeJobContext(TParameters parameters, string? checkpointJson = null, TimeProvider? timeProvider = null, JsonSerializerOptions? serializerOptions = null)
    {
        if (checkpointJson is not null && !IsJson(checkpointJson))
        {
            throw new ArgumentException(
                $"checkpointJson must be a checkpoint as stored, in JSON (for the text SKU-1, \"SKU-1\" with its quotes); '{checkpointJson}' is not JSON.",
                nameof(checkpointJson));
        }

        Parameters = parameters;
        _checkpointJson = checkpointJson;
        _time = timeProvider ?? TimeProvider.System;
        _serializerOptions = serializerOptions ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Logger = new FakeLogger(this);
    }

    /// <inheritdoc/>
    public TParameters Parameters { get; }

    /// <inheritdoc/>
    public Guid JobId { get; init; } = Guid.NewGuid();

    /// <inheritdoc/>
    public string TypeName { get; init; } = typeof(TParameters).Name;

    /// <inheritdoc/>
    public int Attempt { get; init; } = 1;

    /// <inheritdoc/>
    public long FencingToken { get; init; } = 1;

    /// <inheritdoc/>
    public CancellationToken CancellationToken => _cancellation.Token;

    /// <summary>Gets the checkpoint as it would be stored: the JSON that <see cref="SetCheckpoint{T}"/> last wrote, or <see langword="null"/> when there is none.</summary>
    public string? CheckpointJson => _checkpointJson;

    /// <inheritdoc/>
    public ILogger Logger { get; }

    /// <summary>Gets the last progress the job reported.</summary>
    public JobProgress Progress
    {
        get
        {
            lock (_lock)
            {
                return _progress;
            }
        }
    }

    /// <summary>Gets how many times the job reached a safe point.</summary>
    public int SafePoints => Volatile.Read(ref _safePoints);

    /// <summary>Gets the log lines the job wrote, in order.</summary>
    public IReadOnlyList<JobLogEntry> LogLines
    {
        get
        {
            lock (_lock)
            {
                return [.. _log];
            }
        }
    }

    /// <summary>Gets the records the job rejected, in order.</summary>
    public IReadOnlyList<JobReject> Rejects
    {
        get
        {
            lock (_lock)
            {
                return [.. _rejects];
            }
        }
    }

    /// <summary>Gets the job's steps with their counters.</summary>
    public IReadOnlyList<JobStep> Steps
    {
        get
        {
            lock (_lock)
            {
                return [.. _steps.Select(s => s.Snapshot())];
            }
        }
    }

    /// <summary>Gets the warnings the job raised: rejects, warning and error lines, step warnings.</summary>
    public int WarningCount => Volatile.Read(ref _warnings);

    /// <summary>Asks the job to pause: its next safe point throws <see cref="OperationCanceledException"/>, as the engine's does.</summary>
    public void RequestPause() => _pauseRequested = true;

    /// <summary>Cancels the job: the token fires and the next safe point throws <see cref="OperationCanceledException"/>.</summary>
    public void RequestCancel() => _cancellation.Cancel();

    /// <inheritdoc/>
    public T? GetCheckpoint<T>()
    {
        var checkpoint = CheckpointJson;
        if (checkpoint is null)
        {
            return default;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(checkpoint, _serializerOptions);
        }
        catch (JsonException ex)
        {
            throw new JsonException(
                $"The checkpoint of job '{JobId}' is not a valid {typeof(T).Name}; read it with the type it was set with. Stored checkpoint: {checkpoint}. {ex.Message}",
                ex);
        }
    }

    /// <inheritdoc/>
    public void SetCheckpoint<T>(T checkpoint) => _checkpointJson = checkpoint is null ? null : JsonSerializer.Serialize(checkpoint, _serializerOptions);

    /// <inheritdoc/>
    public void ReportProgress(long done, long? total = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(done);
        if (total is { } t)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(t, nameof(total));
        }

        lock (_lock)
        {
            _progress = new JobProgress(done, total);
        }
    }

    /// <inheritdoc/>
    public ValueTask LogAsync(LogLevel level, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Write(level, message);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask RejectAsync(long recordNumber, string rawRecord, string reason)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(recordNumber);
        ArgumentNullException.ThrowIfNull(rawRecord);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        lock (_lock)
        {
            _rejects.Add(new JobReject { Sequence = _rejects.Count + 1, At = _time.GetUtcNow(), RecordNumber = recordNumber, RawRecord = rawRecord, Reason = reason });

            // As in a real run: while exactly one step runs, the reject is also one of its warnings.
            if (_steps.Where(s => s.IsRunning).Take(2).ToList() is [var running])
            {
                running.CountReject();
            }
        }

        Interlocked.Increment(ref _warnings);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void DefineSteps(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            GetOrAdd(name);
        }
    }

    /// <inheritdoc/>
    public IJobStep BeginStep(string name)
    {
        var step = GetOrAdd(name);
        step.Begin(_time.GetUtcNow());
        return step;
    }

    /// <inheritdoc/>
    public ValueTask SafePointAsync()
    {
        Interlocked.Increment(ref _safePoints);
        _cancellation.Token.ThrowIfCancellationRequested();
        if (_pauseRequested)
        {
            throw new OperationCanceledException($"Job '{JobId}' paused at a safe point.");
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Dispose() => _cancellation.Dispose();

    private static bool IsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void Write(LogLevel level, string message)
    {
        lock (_lock)
        {
            _log.Add(new JobLogEntry { Sequence = _log.Count + 1, At = _time.GetUtcNow(), Level = level, Message = message });
        }

        if (level is >= LogLevel.Warning and not LogLevel.None)
        {
            Interlocked.Increment(ref _warnings);
        }
    }

    private FakeStep GetOrAdd(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (_lock)
        {
            var step = _steps.Find(s => s.Name == name);
            if (step is null)
            {
                step = new FakeStep(this, name);
                _steps.Add(step);
            }

            return step;
        }
    }

    private sealed class FakeStep(FakeJobContext<TParameters> owner, string name) : IJobStep
    {
        private long _read;
        private long _written;
        private long _skipped;
        private long _warnings;
        private JobStepStatus _status;
        private DateTimeOffset? _startedAt;
        private DateTimeOffset? _endedAt;

        public string Name { get; } = name;

        public void AddRead(long count = 1) => Interlocked.Add(ref _read, NonNegative(count));

        public void AddWritten(long count = 1) => Interlocked.Add(ref _written, NonNegative(count));

        public void AddSkipped(long count = 1) => Interlocked.Add(ref _skipped, NonNegative(count));

        public void AddWarning(long count = 1)
        {
            Interlocked.Add(ref _warnings, NonNegative(count));
            Interlocked.Add(ref owner._warnings, (int)count);
        }

        public bool IsRunning => _status == JobStepStatus.Running;

        public void CountReject() => Interlocked.Increment(ref _warnings);

        public void Complete()
        {
            lock (owner._lock)
            {
                if (_status == JobStepStatus.Running)
                {
                    _status = JobStepStatus.Completed;
                    _endedAt = owner._time.GetUtcNow();
                }
            }
        }

        public void Begin(DateTimeOffset at)
        {
            lock (owner._lock)
            {
                _startedAt ??= at;
                _endedAt = null;
                _status = JobStepStatus.Running;
            }
        }

        public JobStep Snapshot() => new()
        {
            Name = Name,
            Status = _status,
            StartedAt = _startedAt,
            EndedAt = _endedAt,
            Read = Interlocked.Read(ref _read),
            Written = Interlocked.Read(ref _written),
            Skipped = Interlocked.Read(ref _skipped),
            Warnings = Interlocked.Read(ref _warnings),
        };

        private static long NonNegative(long count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            return count;
        }
    }

    private sealed class FakeLogger(FakeJobContext<TParameters> owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (logLevel != LogLevel.None)
            {
                owner.Write(logLevel, formatter(state, exception));
            }
        }
    }
}
