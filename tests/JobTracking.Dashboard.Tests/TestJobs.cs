using Microsoft.Extensions.Logging;

namespace JobTracking.Dashboard.Tests;

/// <summary>Lets a <see cref="GateJob"/> finish when the test says so.</summary>
public sealed class JobGate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => _open.Task.IsCompleted;

    public Task Opened => _open.Task;

    public void Open() => _open.TrySetResult();
}

public sealed record GateParameters(int Items = 4);

/// <summary>Runs until its gate opens, waiting for it in slices of a few milliseconds with a safe point after each, so that pause and cancel take effect.</summary>
public sealed class GateJob(JobGate gate, TimeProvider clock) : JobDefinition<GateParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<GateParameters> context)
    {
        context.ReportProgress(1, context.Parameters.Items);
        while (!gate.IsOpen)
        {
            await context.SafePointAsync();
            await Task.WhenAny(gate.Opened.WaitAsync(TimeSpan.FromMilliseconds(5), clock, context.CancellationToken));
        }

        context.ReportProgress(context.Parameters.Items, context.Parameters.Items);
    }
}

public sealed record StepGateParameters;

/// <summary>Declares three steps, completes the first, and holds in the second ("validate") until its gate opens, with safe points so that pause and cancel take effect.</summary>
public sealed class StepGateJob(JobGate gate, TimeProvider clock) : JobDefinition<StepGateParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<StepGateParameters> context)
    {
        context.DefineSteps("read", "validate", "write");
        context.BeginStep("read").Complete();
        var validate = context.BeginStep("validate");
        while (!gate.IsOpen)
        {
            await context.SafePointAsync();
            await Task.WhenAny(gate.Opened.WaitAsync(TimeSpan.FromMilliseconds(5), clock, context.CancellationToken));
        }

        validate.Complete();
        context.BeginStep("write").Complete();
    }
}

public sealed record JournalParameters(string Secret = "s3cret-parameter");

/// <summary>Writes hostile text to its log and rejects, and completes with warnings.</summary>
public sealed class JournalJob : JobDefinition<JournalParameters>
{
    public const string LogScript = "<script>alert('log')</script>";
    public const string RejectScript = "<script>alert('reject')</script>";

    public override async ValueTask ExecuteAsync(IJobContext<JournalParameters> context)
    {
        var step = context.BeginStep("load");
        context.Logger.LogInformation("Line with markup: {Markup}", LogScript);
        context.Logger.LogDebug("A debug line");
        context.Logger.LogError("An error line");
        await context.RejectAsync(1, RejectScript, "markup <b>in</b> a record");
        await context.RejectAsync(2, "=cmd|' /C calc'!A0", "formula in the record");
        await context.RejectAsync(3, "ok,record", "+SUM(A1:A2)");
        await context.RejectAsync(4, "@evil", "-2+3");
        step.AddRead(4);
        step.AddSkipped(4);
        step.Complete();
        context.SetCheckpoint("checkpoint-value");
        context.ReportProgress(4, 4);
    }
}

public sealed record FailParameters;

/// <summary>Fails with markup in its error message.</summary>
public sealed class FailJob : JobDefinition<FailParameters>
{
    public const string Message = "boom <script>alert('error')</script>";

    public override ValueTask ExecuteAsync(IJobContext<FailParameters> context) => throw new InvalidOperationException(Message);
}

public sealed record EchoParameters(string Text, bool Fail = false);

/// <summary>Writes its text into every place a job writes text (a step, the log, a reject, the checkpoint) and, when asked, fails with it.</summary>
public sealed class EchoJob : JobDefinition<EchoParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<EchoParameters> context)
    {
        var text = context.Parameters.Text;
        context.BeginStep(text).Complete();
        context.Logger.LogInformation("{Text}", text);
        await context.RejectAsync(1, text, text);
        context.SetCheckpoint(text);
        if (context.Parameters.Fail)
        {
            throw new InvalidOperationException(text);
        }
    }
}
