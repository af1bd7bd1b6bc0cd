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

    [Theory]
    [InlineData(JobCommand.Cancel, JobStatus.Queued)]
    [InlineData(JobCommand.Pause, JobStatus.Running)]
    [InlineData(JobCommand.Resume, JobStatus.Paused)]
    [InlineData(JobCommand.Restart, JobStatus.Failed)]
    [InlineData(JobCommand.Submit, JobStatus.Editing)]
    public async Task Command_OnAJobTheStoreReadsButNeverMoves_EndsWithAnErrorNamingTheJob_NotALoop(JobCommand command, JobStatus status)
    {
        var memory = TestHost.CreateMemoryStore();
        var job = await StoreHelper.CreateInStatusAsync(memory, status);
        var store = new NeverMovingStore(memory);
        await using var host = TestHost.Create(store: store); // not started: no worker touches the job

        var error = (await host.Invoking(h => Run(h.Runner, command, job.Id)).Should().ThrowExactlyAsync<JobTrackingException>()).Which;

        error.Message.Should().Contain($"job '{job.Id}'").And.Contain(command.ToString().ToLowerInvariant()).And.Contain($"{status} at version {job.Version}")
            .And.Contain("refuses every move");
        store.Refused.Should().BeLessThan(1000, "the command gives up after a bounded number of tries");
        (await memory.GetAsync(job.Id))!.Version.Should().Be(job.Version, "nothing changed");
    }

    [Fact]
    public async Task Pause_AnswerLost_AndTheFeedNoLongerShowsTheMove_SaysTheOutcomeIsUnknown_AndMovesNothingAgain()
    {
        var memory = new InMemoryJobStore(feedCapacity: 16);
        var job = await StoreHelper.CreateInStatusAsync(memory, JobStatus.Queued);
        var store = new LostAcknowledgementStore(memory);
        await using var host = TestHost.Create(store: store, options: o => o.TransientRetryDelay = TimeSpan.FromMilliseconds(1));
        using var pump = PumpClock(host);

        // Before the pause's answer is lost, someone resumes the job and 40 other jobs push the pause out of the feed.
        store.BeforeLosing = async () =>
        {
            (await memory.TryTransitionAsync(new JobTransition { JobId = job.Id, FromStatus = JobStatus.Paused, ExpectedVersion = 2, ToStatus = JobStatus.Queued, At = DateTimeOffset.UnixEpoch }))
                .Should().BeTrue();
            for (var i = 0; i < 40; i++)
            {
                await StoreHelper.CreateInStatusAsync(memory, JobStatus.Editing);
            }
        };
        store.LoseNext(StoreWrites.Command);

        var error = (await host.Invoking(h => h.Runner.PauseAsync(job.Id).AsTask()).Should().ThrowExactlyAsync<JobTrackingException>()).Which;

        error.Message.Should().Contain($"job '{job.Id}'").And.Contain("may or may not have been stored").And.Contain("now Queued, version 3");
        error.InnerException.Should().BeOfType<AcknowledgementLostException>();
        (await memory.GetAsync(job.Id))!.Version.Should().Be(3, "the pause is not made a second time");
    }

    [Fact]
    public async Task UpdateDraftAsync_OnADraftTheStoreReadsButNeverEdits_EndsWithAnErrorNamingTheJob_NotALoop()
    {
        var memory = TestHost.CreateMemoryStore();
        var draft = await StoreHelper.CreateInStatusAsync(memory, JobStatus.Editing);
        var store = new NeverMovingStore(memory);
        await using var host = TestHost.Create(store: store);

        var error = (await host.Invoking(h => h.Runner.UpdateDraftAsync(draft.Id, new StepParameters { Steps = 2 }).AsTask()).Should().ThrowExactlyAsync<JobTrackingException>()).Which;

        error.Message.Should().Contain($"job '{draft.Id}'").And.Contain("edit").And.Contain("refuses every move");
        store.Refused.Should().BeLessThan(1000);
    }

    // The retry waits on the host's fake clock: move it on while the test waits, until disposed.
    private static ClockPump PumpClock(TestHost host) => new(host);

    private sealed class ClockPump : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();

        public ClockPump(TestHost host) =>
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    host.Time.Advance(TimeSpan.FromMilliseconds(1));
                    await Task.Delay(1, CancellationToken.None);
                }
            });

        public void Dispose() => _stop.Cancel();
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

/// <summary>
/// A store that reads a job but refuses every command's move and every draft edit of it, as a store does whose row was
/// edited into something it reads one way and compares another. After 10,000 refusals it throws, so a command that loops
/// fails the test instead of hanging it.
/// </summary>
internal sealed class NeverMovingStore(IJobStore inner) : DecoratingStore(inner)
{
    private int _refused;

    public int Refused => Volatile.Read(ref _refused);

    public override ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) =>
        transition.ClaimId is null ? Refuse() : base.TryTransitionAsync(transition, cancellationToken);

    public override ValueTask<bool> TryUpdateDraftAsync(Guid jobId, long expectedVersion, string parameters, string displayName, CancellationToken cancellationToken = default) =>
        Refuse();

    private ValueTask<bool> Refuse() =>
        Interlocked.Increment(ref _refused) < 10_000 ? new(false) : throw new InvalidOperationException("Refused 10,000 moves in a row: the command loops.");
}
