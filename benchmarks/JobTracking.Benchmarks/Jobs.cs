namespace JobTracking.Benchmarks;

/// <summary>The parameters of every benchmark job: nothing to validate, "{}" as JSON.</summary>
public sealed record NoOpParameters
{
    public static readonly NoOpParameters Instance = new();
}

/// <summary>A job that does nothing: the engine's own cost is all that is left to measure.</summary>
public sealed class NoOpJob : JobDefinition<NoOpParameters>
{
    public override ValueTask ExecuteAsync(IJobContext<NoOpParameters> context) => ValueTask.CompletedTask;
}

/// <summary>A no-op job that counts itself done, as the peers' jobs do, so a benchmark knows when a batch has run.</summary>
public sealed class CountingJob(Completion completion) : JobDefinition<NoOpParameters>
{
    public override ValueTask ExecuteAsync(IJobContext<NoOpParameters> context)
    {
        completion.Signal();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A no-op job that stamps the moment its code is entered, for the start-latency benchmark.</summary>
public sealed class LatencyJob(LatencyProbe probe) : JobDefinition<NoOpParameters>
{
    public override ValueTask ExecuteAsync(IJobContext<NoOpParameters> context)
    {
        probe.Entered();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Counts down a batch of jobs and completes a task when the last one has run.</summary>
public sealed class Completion
{
    /// <summary>The instance the peers' static job methods signal (Hangfire runs static methods; Quartz builds jobs itself).</summary>
    public static readonly Completion Shared = new();

    private int _remaining;
    private TaskCompletionSource _done = NewSource();

    public Task Arm(int count)
    {
        _done = NewSource();
        Volatile.Write(ref _remaining, count);
        return _done.Task;
    }

    public void Signal()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.TrySetResult();
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Where <see cref="LatencyJob"/> records when its code was entered.</summary>
public sealed class LatencyProbe
{
    private long _enteredAt;
    private TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long EnteredAt => Volatile.Read(ref _enteredAt);

    public Task Arm()
    {
        _entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _entered.Task;
    }

    public void Entered()
    {
        Volatile.Write(ref _enteredAt, System.Diagnostics.Stopwatch.GetTimestamp());
        _entered.TrySetResult();
    }
}

/// <summary>The parameters of <see cref="LoggingJob"/>: how many log lines to write.</summary>
public sealed record LoggingParameters(int Lines);

/// <summary>A job that writes <see cref="LoggingParameters.Lines"/> log lines through its context, for the journal benchmark.</summary>
public sealed class LoggingJob : JobDefinition<LoggingParameters>
{
    /// <summary>One line of a typical import log, the same text every time so the job's own string building is not measured.</summary>
    public const string Line = "Imported record: 12 fields, customer 4711, amount 129.90 EUR, no warnings";

    public override async ValueTask ExecuteAsync(IJobContext<LoggingParameters> context)
    {
        for (var i = 0; i < context.Parameters.Lines; i++)
        {
            await context.LogAsync(Microsoft.Extensions.Logging.LogLevel.Information, Line);
        }
    }
}
