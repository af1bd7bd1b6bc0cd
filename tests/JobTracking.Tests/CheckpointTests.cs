using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Tests;

public sealed class CheckpointTests
{
    private static TestHost CreateHost(CheckpointReadings readings) =>
        TestHost.Create(configure: b =>
        {
            b.AddJob<CheckpointJob>();
            b.Services.AddSingleton(readings);
        });

    public static TheoryData<CheckpointKind, string?, object?> Values => new()
    {
        { CheckpointKind.Text, "\"SKU-00013\"", "SKU-00013" },
        { CheckpointKind.Number, "13", 13 },
        { CheckpointKind.Record, "{\"sku\":\"SKU-00013\",\"row\":13,\"price\":24.90}", new ImportPosition("SKU-00013", 13, 24.90m) },
        { CheckpointKind.Null, null, null },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public async Task SetCheckpoint_PausedAndResumed_ReadsTheSameValueBack(CheckpointKind kind, string? storedJson, object? expected)
    {
        var readings = new CheckpointReadings();
        await using var host = await CreateHost(readings).StartAsync();
        var id = await host.Runner.StartAsync(nameof(CheckpointJob), new CheckpointParameters { Kind = kind });
        var probe = host.Probe.For(id);
        await probe.WaitForStepAsync(0);

        await host.Runner.PauseAsync(id);
        probe.Release();
        var paused = await host.WaitAsync(id, JobStatus.Paused);
        await host.Runner.ResumeAsync(id);
        var done = await host.WaitAsync(id, JobStatus.Completed, JobStatus.Failed);

        paused.Checkpoint.Should().Be(storedJson, "the checkpoint is stored as JSON");
        done.Error.Should().BeNull();
        done.Status.Should().Be(JobStatus.Completed);
        probe.Runs.Should().Be(2, "the job ran once before the pause and once after the resume");
        readings.Read.Should().ContainKey(id).WhoseValue.Should().Be(expected);
    }

    [Fact]
    public async Task GetCheckpoint_WithAnotherType_FailsTheJobNamingTheType()
    {
        var readings = new CheckpointReadings();
        await using var host = await CreateHost(readings).StartAsync();
        var id = await host.Runner.StartAsync(nameof(CheckpointJob), new CheckpointParameters { Kind = CheckpointKind.TextReadAsNumber });
        var probe = host.Probe.For(id);
        await probe.WaitForStepAsync(0);

        await host.Runner.PauseAsync(id);
        probe.Release();
        await host.WaitAsync(id, JobStatus.Paused);
        await host.Runner.ResumeAsync(id);
        var failed = await host.WaitAsync(id, JobStatus.Failed, JobStatus.Completed);

        failed.Status.Should().Be(JobStatus.Failed);
        failed.Error!.Type.Should().Be(typeof(System.Text.Json.JsonException).FullName);
        failed.Error.Message.Should().Contain($"checkpoint of job '{id}' is not a valid Int32").And.Contain("\"SKU-00013\"");
        readings.Read.Should().NotContainKey(id);
    }
}

public enum CheckpointKind
{
    Text,
    Number,
    Record,
    Null,
    TextReadAsNumber,
}

public sealed record CheckpointParameters
{
    public CheckpointKind Kind { get; init; }
}

public sealed record ImportPosition(string Sku, int Row, decimal Price);

/// <summary>What each resumed <see cref="CheckpointJob"/> read back.</summary>
public sealed class CheckpointReadings
{
    public ConcurrentDictionary<Guid, object?> Read { get; } = new();
}

/// <summary>Sets a checkpoint of the given kind, waits to be paused, and on its next run reads the checkpoint back.</summary>
public sealed class CheckpointJob(Probe probe, CheckpointReadings readings) : JobDefinition<CheckpointParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<CheckpointParameters> context)
    {
        var job = probe.For(context.JobId);
        job.RunStarted();
        var kind = context.Parameters.Kind;
        if (job.Runs == 1)
        {
            context.GetCheckpoint<string>().Should().BeNull("a first run has no checkpoint");
            switch (kind)
            {
                case CheckpointKind.Text or CheckpointKind.TextReadAsNumber:
                    context.SetCheckpoint("SKU-00013");
                    break;
                case CheckpointKind.Number:
                    context.SetCheckpoint(13);
                    break;
                case CheckpointKind.Record:
                    context.SetCheckpoint(new ImportPosition("SKU-00013", 13, 24.90m));
                    break;
                case CheckpointKind.Null:
                    context.SetCheckpoint("SKU-00013");
                    context.SetCheckpoint<string?>(null);
                    break;
            }

            await job.StepAsync(0, blocking: true, context.CancellationToken);
            await context.SafePointAsync(); // the test has paused the job: this throws and the checkpoint is saved
            throw new InvalidOperationException("The job should have paused at its safe point.");
        }

        readings.Read[context.JobId] = kind switch
        {
            CheckpointKind.Text => context.GetCheckpoint<string>(),
            CheckpointKind.Number => context.GetCheckpoint<int>(),
            CheckpointKind.Record => context.GetCheckpoint<ImportPosition>(),
            CheckpointKind.Null => context.GetCheckpoint<string>(),
            CheckpointKind.TextReadAsNumber => context.GetCheckpoint<int>(),
            _ => throw new ArgumentOutOfRangeException(nameof(context), kind, null),
        };
    }
}
