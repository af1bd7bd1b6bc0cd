using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;

namespace JobTracking.TestSupport;

/// <summary>The parameters of <see cref="StepJob"/>.</summary>
public sealed record StepParameters
{
    [Range(1, 10_000)]
    public int Steps { get; init; } = 3;

    public int MillisecondsPerStep { get; init; } = 1;

    public int? RejectAt { get; init; }

    /// <summary>Gets whether the rejected record holds a NUL character (which some stores must escape).</summary>
    public bool RejectWithNul { get; init; }
}

/// <summary>Which host ran which step of which job; shared by the hosts of one test.</summary>
public sealed class StepLog
{
    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<(int Step, int Host)>> _steps = new();
    private int _host;

    public void NextHost() => Interlocked.Increment(ref _host);

    public void Ran(Guid job, int step) => _steps.GetOrAdd(job, _ => new()).Enqueue((step, Volatile.Read(ref _host)));

    public IReadOnlyList<int> Of(Guid job) => [.. _steps.GetValueOrDefault(job, new()).Select(s => s.Step)];

    public IReadOnlyList<int> Hosts(Guid job) => [.. _steps.GetValueOrDefault(job, new()).Select(s => s.Host)];
}

public sealed class StepJob(StepLog steps) : JobDefinition<StepParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<StepParameters> context)
    {
        var p = context.Parameters;
        context.DefineSteps("work");
        var work = context.BeginStep("work");
        for (var step = context.GetCheckpoint<int>(); step < p.Steps; step++)
        {
            if (p.MillisecondsPerStep > 0)
            {
                await Task.Delay(p.MillisecondsPerStep, context.CancellationToken);
            }

            steps.Ran(context.JobId, step);
            if (step == p.RejectAt)
            {
                await context.RejectAsync(step, $"row {step};\"bad\"{(p.RejectWithNul ? "\0" : "")}\r\n", "contains 'bad'");
            }

            context.Logger.LogInformation("step {Step} done", step);
            work.AddRead();
            context.SetCheckpoint(step + 1);
            context.ReportProgress(step + 1, p.Steps);
            await context.SafePointAsync();
        }

        work.Complete();
    }
}
