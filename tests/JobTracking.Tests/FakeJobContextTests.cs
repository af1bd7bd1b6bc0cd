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
    public async Task RequestPause_StopsAtTheNextSafePointWithTheCheckpointSet()
    {
        var job = new StepJob(new Probe());
        using var context = new FakeJobContext<StepParameters>(new StepParameters { Steps = 5 });
        context.RequestPause();

        await context.Invoking(c => job.ExecuteAsync(c).AsTask()).Should().ThrowAsync<OperationCanceledException>();

        context.Checkpoint.Should().Be("1");
        context.SafePoints.Should().Be(1);

        using var resumed = new FakeJobContext<StepParameters>(new StepParameters { Steps = 5 }, context.Checkpoint);
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
}
