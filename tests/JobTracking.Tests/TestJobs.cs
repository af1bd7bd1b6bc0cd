using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;

namespace JobTracking.Tests;

public sealed record StepParameters
{
    [Range(0, 1_000_000)]
    public int Steps { get; init; } = 3;

    /// <summary>When set, each step waits for the test to release it.</summary>
    public bool Blocking { get; init; }

    /// <summary>When set, the step waits on the job's cancellation token (otherwise it ignores it).</summary>
    public bool HonourToken { get; init; } = true;

    /// <summary>The step at which the job throws, if any.</summary>
    public int? FailAt { get; init; }

    /// <summary>When set, the job throws at <see cref="FailAt"/> on its first attempt only, so a restart completes.</summary>
    public bool FailFirstAttemptOnly { get; init; }

    /// <summary>When set, the job throws at <see cref="FailAt"/> on every attempt up to this number, so a later retry completes.</summary>
    public int? FailUntilAttempt { get; init; }

    /// <summary>Yields between steps, so that commands can interleave with real work.</summary>
    public bool YieldEachStep { get; init; }

    /// <summary>Skip safe points (a job that cannot be paused mid-way).</summary>
    public bool NoSafePoints { get; init; }
}

/// <summary>Shared by the tests and the jobs: what ran, what is blocked, how many ran at once.</summary>
public sealed class Probe
{
    private readonly ConcurrentDictionary<Guid, JobProbe> _jobs = new();
    private int _running;
    private int _maxRunning;
    private int _left;

    public int MaxRunning => Volatile.Read(ref _maxRunning);

    public JobProbe For(Guid jobId) => _jobs.GetOrAdd(jobId, _ => new JobProbe());

    public void Enter()
    {
        var now = Interlocked.Increment(ref _running);
        int max;
        while (now > (max = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, now, max) != max)
        {
        }
    }

    public void Leave()
    {
        Interlocked.Decrement(ref _running);
        Interlocked.Increment(ref _left);
    }

    /// <summary>Gets how many runs' code has returned.</summary>
    public int Left => Volatile.Read(ref _left);

    public int Running => Volatile.Read(ref _running);
}

public sealed class JobProbe
{
    private readonly SemaphoreSlim _release = new(0);
    private readonly ConcurrentQueue<int> _executed = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _entered = new();
    private int _runs;

    public IReadOnlyList<int> Executed => [.. _executed];

    public int Runs => Volatile.Read(ref _runs);

    public void RunStarted() => Interlocked.Increment(ref _runs);

    public void Release(int steps = 1) => _release.Release(steps);

    public async Task StepAsync(int step, bool blocking, CancellationToken token)
    {
        Entered(step).TrySetResult();
        if (blocking)
        {
            await _release.WaitAsync(token);
        }

        _executed.Enqueue(step);
    }

    /// <summary>Waits until the job has entered <paramref name="step"/>.</summary>
    public Task WaitForStepAsync(int step) => Entered(step).Task.WaitAsync(TimeSpan.FromSeconds(30));

    private TaskCompletionSource Entered(int step) =>
        _entered.GetOrAdd(step, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

public sealed class StepJob(Probe probe) : JobDefinition<StepParameters>
{
    public override string DisplayName => "Step job";

    public override IEnumerable<JobParameterError> Validate(StepParameters parameters)
    {
        if (parameters.FailAt is { } failAt && failAt >= parameters.Steps)
        {
            yield return new JobParameterError(nameof(StepParameters.FailAt), $"must be below Steps ({parameters.Steps}).");
        }
    }

    public override async ValueTask ExecuteAsync(IJobContext<StepParameters> context)
    {
        var job = probe.For(context.JobId);
        job.RunStarted();
        probe.Enter();
        try
        {
            var p = context.Parameters;
            for (var step = context.GetCheckpoint<int>(); step < p.Steps; step++)
            {
                if (p.FailAt == step && (!p.FailFirstAttemptOnly || context.Attempt == 1) && (p.FailUntilAttempt is not { } until || context.Attempt <= until))
                {
                    throw new InvalidOperationException($"Step {step} failed on purpose.");
                }

                await job.StepAsync(step, p.Blocking, p.HonourToken ? context.CancellationToken : CancellationToken.None);
                context.SetCheckpoint(step + 1);
                context.ReportProgress(step + 1, p.Steps);
                if (p.YieldEachStep)
                {
                    await Task.Yield();
                }

                if (!p.NoSafePoints)
                {
                    await context.SafePointAsync();
                }
            }
        }
        finally
        {
            probe.Leave();
        }
    }
}

/// <summary>A second type, to check per-type limits.</summary>
public sealed class OtherJob(Probe probe) : JobDefinition<StepParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<StepParameters> context)
    {
        var job = probe.For(context.JobId);
        job.RunStarted();
        for (var step = 0; step < context.Parameters.Steps; step++)
        {
            await job.StepAsync(step, context.Parameters.Blocking, context.CancellationToken);
            await context.SafePointAsync();
        }
    }
}
