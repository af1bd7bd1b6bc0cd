namespace JobTracking.Tests;

public sealed class JobRunnerCommandTests
{
    private static readonly Dictionary<(JobCommand, JobStatus), JobStatus> Allowed = new()
    {
        [(JobCommand.Submit, JobStatus.Editing)] = JobStatus.Queued,
        [(JobCommand.Pause, JobStatus.Running)] = JobStatus.Pausing,
        [(JobCommand.Pause, JobStatus.Queued)] = JobStatus.Paused,
        [(JobCommand.Resume, JobStatus.Paused)] = JobStatus.Queued,
        [(JobCommand.Resume, JobStatus.Pausing)] = JobStatus.Running,
        [(JobCommand.Cancel, JobStatus.Editing)] = JobStatus.Cancelled,
        [(JobCommand.Cancel, JobStatus.Queued)] = JobStatus.Cancelled,
        [(JobCommand.Cancel, JobStatus.Running)] = JobStatus.Cancelling,
        [(JobCommand.Cancel, JobStatus.Pausing)] = JobStatus.Cancelling,
        [(JobCommand.Cancel, JobStatus.Paused)] = JobStatus.Cancelled,
        [(JobCommand.Cancel, JobStatus.Interrupted)] = JobStatus.Cancelled,
        [(JobCommand.Restart, JobStatus.Failed)] = JobStatus.Queued,
        [(JobCommand.Restart, JobStatus.Interrupted)] = JobStatus.Queued,
    };

    public static TheoryData<JobCommand, JobStatus> AllCommands()
    {
        var data = new TheoryData<JobCommand, JobStatus>();
        foreach (var command in new[] { JobCommand.Submit, JobCommand.Pause, JobCommand.Resume, JobCommand.Cancel, JobCommand.Restart })
        {
            foreach (var status in Enum.GetValues<JobStatus>())
            {
                data.Add(command, status);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllCommands))]
    public async Task Command_InEveryStatus_MovesOrRefusesWithNamedError(JobCommand command, JobStatus status)
    {
        await using var host = TestHost.Create(); // not started: no worker touches the job
        var job = await StoreHelper.CreateInStatusAsync(host.Store, status);

        var act = () => Run(host.Runner, command, job.Id);

        if (Allowed.TryGetValue((command, status), out var expected))
        {
            await act.Should().NotThrowAsync();
            var after = await host.Tracker.GetAsync(job.Id);
            after.Status.Should().Be(expected);
            after.Attempt.Should().Be(command == JobCommand.Restart ? job.Attempt + 1 : job.Attempt);
        }
        else
        {
            var error = (await act.Should().ThrowAsync<InvalidJobTransitionException>()).Which;
            error.JobId.Should().Be(job.Id);
            error.CurrentStatus.Should().Be(status);
            error.Command.Should().Be(command);
            error.Message.Should().Contain(job.Id.ToString()).And.Contain(status.ToString()).And.Contain(command.ToString());
            (await host.Store.GetAsync(job.Id)).Should().BeEquivalentTo(job, "a refused command changes nothing");
        }
    }

    public static TheoryData<JobStatus> AllStatuses() => [.. Enum.GetValues<JobStatus>()];

    [Theory]
    [MemberData(nameof(AllStatuses))]
    public async Task UpdateDraftAsync_InEveryStatus_EditsOnlyADraft_ElseRefusesWithNamedError(JobStatus status)
    {
        await using var host = TestHost.Create(); // not started: no worker touches the job
        var job = await StoreHelper.CreateInStatusAsync(host.Store, status);

        var act = () => host.Runner.UpdateDraftAsync(job.Id, new StepParameters { Steps = 7 }, "edited").AsTask();

        if (status == JobStatus.Editing)
        {
            await act.Should().NotThrowAsync();
            var after = await host.Tracker.GetAsync(job.Id);
            (after.DisplayName, after.Version).Should().Be(("edited", job.Version + 1));
        }
        else
        {
            var error = (await act.Should().ThrowAsync<InvalidJobTransitionException>()).Which;
            (error.JobId, error.CurrentStatus, error.Command).Should().Be((job.Id, status, JobCommand.Edit));
            error.Message.Should().Contain(job.Id.ToString()).And.Contain(status.ToString()).And.Contain("Edit");
            (await host.Store.GetAsync(job.Id)).Should().BeEquivalentTo(job, "a refused edit changes nothing");
        }
    }

    [Theory]
    [InlineData(JobCommand.Submit)]
    [InlineData(JobCommand.Pause)]
    [InlineData(JobCommand.Resume)]
    [InlineData(JobCommand.Cancel)]
    [InlineData(JobCommand.Restart)]
    public async Task Command_UnknownJobId_ThrowsNotFound(JobCommand command)
    {
        await using var host = TestHost.Create();
        var id = Guid.NewGuid();

        var error = (await host.Invoking(h => Run(h.Runner, command, id)).Should().ThrowAsync<JobNotFoundException>()).Which;

        error.JobId.Should().Be(id);
        error.Message.Should().Contain(id.ToString());
    }

    [Fact]
    public async Task GetAsync_UnknownJobId_ThrowsNotFound()
    {
        await using var host = TestHost.Create();
        var id = Guid.NewGuid();
        await host.Invoking(h => h.Tracker.GetAsync(id).AsTask()).Should().ThrowAsync<JobNotFoundException>().WithMessage($"*{id}*");
        await host.Invoking(h => h.Runner.WaitForCompletionAsync(id)).Should().ThrowAsync<JobNotFoundException>();
    }

    [Fact]
    public async Task RacingPauses_OnOneRunningJob_ExactlyOneWins()
    {
        await using var host = TestHost.Create();
        var job = await StoreHelper.CreateInStatusAsync(host.Store, JobStatus.Running);
        using var start = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            try
            {
                await host.Runner.PauseAsync(job.Id);
                return true;
            }
            catch (InvalidJobTransitionException e) when (e.CurrentStatus == JobStatus.Pausing)
            {
                return false;
            }
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(attempts);

        results.Count(won => won).Should().Be(1);
        var after = await host.Tracker.GetAsync(job.Id);
        after.Status.Should().Be(JobStatus.Pausing);
        after.Version.Should().Be(job.Version + 1);
    }

    private static Task Run(IJobRunner runner, JobCommand command, Guid id) => command switch
    {
        JobCommand.Submit => runner.SubmitAsync(id).AsTask(),
        JobCommand.Pause => runner.PauseAsync(id).AsTask(),
        JobCommand.Resume => runner.ResumeAsync(id).AsTask(),
        JobCommand.Cancel => runner.CancelAsync(id).AsTask(),
        JobCommand.Restart => runner.RestartAsync(id).AsTask(),
        _ => throw new ArgumentOutOfRangeException(nameof(command)),
    };
}
