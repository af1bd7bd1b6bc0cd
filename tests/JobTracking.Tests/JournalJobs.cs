using Microsoft.Extensions.Logging;

namespace JobTracking.Tests;

public sealed record JournalParameters
{
    public int Lines { get; init; }

    public int Rejects { get; init; }

    /// <summary>Use the synchronous ILogger path instead of LogAsync.</summary>
    public bool ViaLogger { get; init; }

    public int SafePointEvery { get; init; } = 1000;

    public string? LongText { get; init; }
}

/// <summary>Writes numbered log lines and rejects, interleaved, with safe points now and then.</summary>
public sealed class JournalJob : JobDefinition<JournalParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<JournalParameters> context)
    {
        var p = context.Parameters;
        var total = Math.Max(p.Lines, p.Rejects);
        for (var i = 0; i < total; i++)
        {
            if (i < p.Lines)
            {
                if (p.ViaLogger)
                {
                    context.Logger.LogInformation("line {Number}", i);
                }
                else
                {
                    await context.LogAsync(LogLevel.Information, $"line {i}");
                }
            }

            if (i < p.Rejects)
            {
                await context.RejectAsync(i, $"raw,{i}", $"reason {i}");
            }

            if (i % p.SafePointEvery == 0)
            {
                await context.SafePointAsync();
            }
        }

        if (p.LongText is not null)
        {
            await context.LogAsync(LogLevel.Error, p.LongText);
            await context.RejectAsync(-0, p.LongText, "too long");
        }
    }
}

public sealed record ImportParameters
{
    public IReadOnlyList<string> Rows { get; init; } = [];

    public bool Blocking { get; init; }
}

/// <summary>A small import with three steps, rejects and warnings, used for the report.</summary>
public sealed class ImportJob(Probe probe) : JobDefinition<ImportParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<ImportParameters> context)
    {
        var job = probe.For(context.JobId);
        context.DefineSteps("read", "validate", "write");
        var read = context.BeginStep("read");
        read.AddRead(context.Parameters.Rows.Count);
        read.Complete();

        var validate = context.BeginStep("validate");
        var valid = new List<string>();
        for (var i = 0; i < context.Parameters.Rows.Count; i++)
        {
            var row = context.Parameters.Rows[i];
            if (row.Contains("bad", StringComparison.Ordinal))
            {
                await context.RejectAsync(i + 1, row, "contains 'bad'");
                validate.AddSkipped();
            }
            else
            {
                valid.Add(row);
            }
        }

        validate.Complete();
        var write = context.BeginStep("write");
        await job.StepAsync(0, context.Parameters.Blocking, context.CancellationToken);
        write.AddWritten(valid.Count);
        context.Logger.LogWarning("{Count} rows written", valid.Count);
    }
}
