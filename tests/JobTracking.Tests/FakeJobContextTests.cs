using JobTracking.Testing;

namespace JobTracking.Tests;

public sealed class FakeJobContextTests
{
    [Fact]
    public async Task ExecuteAsync_WithFakeContext_ReportsStepsRejectsAndLog()
    {
        var job = new ImportJob(new Probe());
        using var context = new FakeJobContext<ImportParameters>(new ImportParameters { Rows = ["a", "bad x", "b"] });

        await job.ExecuteAsync(context);

        context.Rejects.Should().ContainSingle().Which.Should().Match<JobReject>(r => r.RecordNumber == 2 && r.RawRecord == "bad x");
        context.Steps.Select(s => (s.Name, s.Read, s.Written, s.Skipped)).Should().Equal(("read", 3L, 0L, 0L), ("validate", 0L, 0L, 1L), ("write", 0L, 2L, 0L));
        context.LogLines.Should().ContainSingle().Which.Message.Should().Be("2 rows written");
        context.WarningCount.Should().Be(2);
    }

    [Fact]
    public async Task ExecuteAsync_WithFakeContext_ARejectCountsOnceOnTheJobAndOnTheStepUnderWay()
    {
        var job = new ImportJob(new Probe());
        using var context = new FakeJobContext<ImportParameters>(new ImportParameters { Rows = ["a", "bad x", "bad y"] });

        await job.ExecuteAsync(context);

        context.Steps.Select(s => (s.Name, s.Warnings)).Should().Equal([("read", 0L), ("validate", 2L), ("write", 0L)]);
        context.WarningCount.Should().Be(3, "two rejects and one warning line");
    }

    [Fact]
    public async Task RequestPause_StopsAtTheNextSafePointWithTheCheckpointSet()
    {
        var job = new StepJob(new Probe());
        using var context = new FakeJobContext<StepParameters>(new StepParameters { Steps = 5 });
        context.RequestPause();

        await context.Invoking(c => job.ExecuteAsync(c).AsTask()).Should().ThrowAsync<OperationCanceledException>();

        context.CheckpointJson.Should().Be("1");
        context.SafePoints.Should().Be(1);

        using var resumed = new FakeJobContext<StepParameters>(new StepParameters { Steps = 5 }, context.CheckpointJson);
        await job.ExecuteAsync(resumed);
        resumed.Progress.Should().Be(new JobProgress(5, 5));
        resumed.SafePoints.Should().Be(4, "the resumed run starts at step 1");
    }

    [Fact]
    public async Task RequestCancel_FiresTheToken()
    {
        var job = new StepJob(new Probe());
        using var context = new FakeJobContext<StepParameters>(new StepParameters { Steps = 2, Blocking = true });

        var run = job.ExecuteAsync(context).AsTask();
        context.RequestCancel();

        await run.Invoking(r => r).Should().ThrowAsync<OperationCanceledException>();
        context.CancellationToken.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public void SetCheckpoint_TextNumberRecordAndNull_ReadBackAsSetAndStoredAsJson()
    {
        using var context = new FakeJobContext<StepParameters>(new StepParameters());

        context.GetCheckpoint<string>().Should().BeNull("there is no checkpoint yet");
        context.SetCheckpoint("SKU-00013");
        context.CheckpointJson.Should().Be("\"SKU-00013\"");
        context.GetCheckpoint<string>().Should().Be("SKU-00013");
        context.SetCheckpoint(13);
        context.GetCheckpoint<int>().Should().Be(13);
        context.SetCheckpoint(new ImportPosition("SKU-00013", 13, 24.90m));
        context.GetCheckpoint<ImportPosition>().Should().Be(new ImportPosition("SKU-00013", 13, 24.90m));
        context.SetCheckpoint<ImportPosition?>(null);
        context.CheckpointJson.Should().BeNull("null clears the checkpoint");
        context.GetCheckpoint<ImportPosition>().Should().BeNull();
    }

    [Fact]
    public void Constructor_CheckpointThatIsNotJson_IsRefusedNamingTheArgument()
    {
        var create = () => new FakeJobContext<StepParameters>(new StepParameters(), checkpointJson: "SKU-00013");

        create.Should().Throw<ArgumentException>().WithParameterName("checkpointJson").WithMessage("*'SKU-00013' is not JSON*");
    }

    [Fact]
    public void GetCheckpoint_WithAnotherType_ThrowsNamingTheType()
    {
        using var context = new FakeJobContext<StepParameters>(new StepParameters(), checkpointJson: "\"SKU-00013\"");

        context.Invoking(c => c.GetCheckpoint<int>()).Should().Throw<System.Text.Json.JsonException>().WithMessage("*not a valid Int32*");
        context.GetCheckpoint<string>().Should().Be("SKU-00013");
    }
}
