using System.ComponentModel.DataAnnotations;
using JobTracking;

namespace JobTracking.Sample;

/// <summary>Parameters of <see cref="BatchJob"/>.</summary>
public sealed record BatchParameters
{
    /// <summary>How many items to process.</summary>
    [Range(1, 1_000_000)]
    public int Items { get; init; } = 10;

    /// <summary>How long one item takes.</summary>
    [Range(0, 10_000)]
    public int MillisecondsPerItem { get; init; } = 100;

    /// <summary>The item at which the job throws, to show a failure.</summary>
    public int? FailAtItem { get; init; }
}

/// <summary>Processes items one by one; each item is a safe point, and the checkpoint is the next item to process.</summary>
public sealed class BatchJob(TimeProvider time) : JobDefinition<BatchParameters>
{
    public override string DisplayName => "Batch";

    public override async ValueTask ExecuteAsync(IJobContext<BatchParameters> context)
    {
        var p = context.Parameters;
        var next = context.GetCheckpoint<int>();
        if (next > 0)
        {
            Console.WriteLine($"           {context.JobId:N} resumes at item {next} (items 0..{next - 1} are not processed again)");
        }

        for (var item = next; item < p.Items; item++)
        {
            if (item == p.FailAtItem)
            {
                throw new InvalidDataException($"Item {item} is malformed.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(p.MillisecondsPerItem), time, context.CancellationToken);
            context.SetCheckpoint(item + 1);
            context.ReportProgress(item + 1, p.Items);
            await context.SafePointAsync();
        }
    }
}
