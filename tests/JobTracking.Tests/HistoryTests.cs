using JobTracking.Storage;
using JobTracking.Testing;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Tests;

/// <summary>A job's history through the public API: commands with who issued them and why, restarts, retries and reclaims, merged with the creation and the attempts.</summary>
public sealed class HistoryTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task GetHistory_PauseWithActorAndReason_ThenResume_ThenComplete_ShowsEachWithWhoAndWhy()
    {
        await using var host = await TestHost.Create().StartAsync();
        var created = host.Time.GetUtcNow();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 2, Blocking = true }, new JobStartOptions { LaunchedBy = "alice" });
        await host.Probe.For(id).WaitForStepAsync(0);
        host.Time.Advance(TimeSpan.FromSeconds(2));
        var pausedAt = host.Time.GetUtcNow();

        await host.Runner.PauseAsync(id, new JobCommandOptions { Actor = "bob", Reason = "month-end freeze <b>" });
        host.Probe.For(id).Release();
        await host.WaitAsync(id, JobStatus.Paused);
        host.Time.Advance(TimeSpan.FromSeconds(30));
        var resumedAt = host.Time.GetUtcNow();
        await host.Runner.ResumeAsync(id, new JobCommandOptions { Actor = "carol" });
        await host.Probe.For(id).WaitForStepAsync(1);
        host.Time.Advance(TimeSpan.FromSeconds(2));
        host.Probe.For(id).Release();
        var done = await host.WaitAsync(id, JobStatus.Completed);

        var history = await host.Tracker.GetHistoryAsync(id);

        history.Select(e => e.Kind).Should().Equal(JobHistoryKind.Created, JobHistoryKind.Started, JobHistoryKind.Pause, JobHistoryKind.Resume, JobHistoryKind.Ended);
        history[0].Should().BeEquivalentTo(new JobHistoryEntry { At = created, Kind = JobHistoryKind.Created, ToStatus = JobStatus.Queued, Actor = "alice", Attempt = 1 });
        history[1].Should().BeEquivalentTo(new JobHistoryEntry { At = done.StartedAt!.Value, Kind = JobHistoryKind.Started, Node = "test-node", Attempt = 1 });
        var pause = history[2];
        (pause.At, pause.FromStatus, pause.ToStatus, pause.Actor, pause.Reason, pause.Node, pause.Attempt)
            .Should().Be((pausedAt, JobStatus.Running, JobStatus.Pausing, "bob", "month-end freeze <b>", "test-node", 1));
        pause.Instance.Should().NotBeNullOrEmpty("the instance that issued the command");
        var resume = history[3];
        (resume.At, resume.FromStatus, resume.ToStatus, resume.Actor, resume.Reason, resume.Attempt)
            .Should().Be((resumedAt, JobStatus.Paused, JobStatus.Queued, "carol", null, 1));
        history[4].Should().BeEquivalentTo(new JobHistoryEntry { At = done.EndedAt!.Value, Kind = JobHistoryKind.Ended, ToStatus = JobStatus.Completed, Node = "test-node", Attempt = 1 });
        (await host.Tracker.GetLogAsync(id)).Items.Should().BeEmpty("history entries are not log lines");
    }

    [Fact]
    public async Task GetHistory_Restart_ShowsTheFailedAttemptTheRestartAndTheNewAttempt_EvenWhenTheClockDoesNotMove()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1, FailAt = 0, FailFirstAttemptOnly = true });
        await host.WaitAsync(id, JobStatus.Failed);

        await host.Runner.RestartAsync(id, new JobCommandOptions { Actor = "dave", Reason = "the file is fixed" });
        await host.WaitAsync(id, JobStatus.Completed);
        var history = await host.Tracker.GetHistoryAsync(id);

        history.Select(e => (e.Kind, e.Attempt, e.ToStatus)).Should().Equal(
            (JobHistoryKind.Created, 1, JobStatus.Queued),
            (JobHistoryKind.Started, 1, null),
            (JobHistoryKind.Ended, 1, JobStatus.Failed),
            (JobHistoryKind.Restart, 2, JobStatus.Queued),
            (JobHistoryKind.Started, 2, null),
            (JobHistoryKind.Ended, 2, JobStatus.Completed));
        history[2].Reason.Should().Contain("Step 0 failed on purpose.");
        (history[3].FromStatus, history[3].Actor, history[3].Reason).Should().Be((JobStatus.Failed, "dave", "the file is fixed"));
    }

    [Fact]
    public async Task GetHistory_Retry_ShowsTheRetryWithTheErrorBetweenTheAttempts()
    {
        await using var host = await TestHost.Create(configure: b => b.AddJob<StepJob>(o =>
        {
            o.MaxAttempts = 2;
            o.RetryDelay = TimeSpan.FromSeconds(10);
            o.RetryJitter = 0;
        })).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1, FailAt = 0, FailFirstAttemptOnly = true });
        await Wait.UntilAsync(async () => (await host.Tracker.GetAsync(id)).Attempt == 2, "the retry");
        host.Time.Advance(TimeSpan.FromSeconds(10));
        await host.WaitAsync(id, JobStatus.Completed);

        var history = await host.Tracker.GetHistoryAsync(id);

        history.Select(e => (e.Kind, e.Attempt)).Should().Equal(
            (JobHistoryKind.Created, 1), (JobHistoryKind.Started, 1), (JobHistoryKind.Ended, 1),
            (JobHistoryKind.Retry, 2), (JobHistoryKind.Started, 2), (JobHistoryKind.Ended, 2));
        var retry = history[3];
        (retry.FromStatus, retry.ToStatus, retry.Node, retry.Actor).Should().Be((JobStatus.Running, JobStatus.Queued, "test-node", null));
        retry.Reason.Should().Be("InvalidOperationException: Step 0 failed on purpose.");
    }

    [Fact]
    public async Task GetHistory_Reclaim_ShowsTheInstanceThatLostTheJob()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var store = new CountingJobStore(TestHost.CreateMemoryStore(time: time), shared: true);
        var orphan = new JobRecord
        {
            Id = Guid.CreateVersion7(),
            TypeName = nameof(StepJob),
            DisplayName = "orphan",
            Status = JobStatus.Queued,
            Version = 1,
            Parameters = "{\"steps\":1}",
            CreatedAt = time.GetUtcNow(),
        };
        await store.CreateAsync(orphan);
        await store.ClaimAsync(new JobClaimRequest { InstanceId = "gone-instance", Node = "gone", MaxCount = 1, At = time.GetUtcNow(), LeaseDuration = Lease });
        await using var host = await TestHost.Create(o => (o.LeaseDuration, o.HeartbeatInterval) = (Lease, Heartbeat), store: store, time: time).StartAsync();

        for (var beat = 0; beat <= Lease / Heartbeat; beat++)
        {
            var reclaims = store.Calls.GetValueOrDefault(nameof(IJobStore.ReclaimAsync));
            time.Advance(Heartbeat);
            await Wait.UntilAsync(() => store.Calls.GetValueOrDefault(nameof(IJobStore.ReclaimAsync)) > reclaims, "the next heartbeat's reclaim");
        }

        await host.WaitAsync(orphan.Id, JobStatus.Completed);
        var history = await host.Tracker.GetHistoryAsync(orphan.Id);

        var reclaim = history.Should().ContainSingle(e => e.Kind == JobHistoryKind.Reclaim).Which;
        (reclaim.FromStatus, reclaim.ToStatus, reclaim.Instance, reclaim.Attempt).Should().Be((JobStatus.Running, JobStatus.Queued, "gone-instance", 1));
        history.Select(e => e.Kind).Should().Equal(JobHistoryKind.Created, JobHistoryKind.Started, JobHistoryKind.Reclaim, JobHistoryKind.Ended);
    }

    [Fact]
    public async Task GetHistory_DraftSubmittedThenRunNow_ShowsTheDraftTheSubmitAndTheRunNow()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.Runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1 }, new JobStartOptions { LaunchedBy = "heidi", Delay = TimeSpan.FromHours(1) });
        host.Time.Advance(TimeSpan.FromSeconds(1));

        await host.Runner.SubmitAsync(id, new JobCommandOptions { Actor = "heidi", Reason = "parameters checked" });
        host.Time.Advance(TimeSpan.FromSeconds(1));
        await host.Runner.RunNowAsync(id, new JobCommandOptions { Actor = "ivan" });
        await host.WaitAsync(id, JobStatus.Completed);
        var history = await host.Tracker.GetHistoryAsync(id);

        history.Select(e => (e.Kind, e.FromStatus, e.ToStatus, e.Actor)).Should().Equal(
            (JobHistoryKind.Created, null, JobStatus.Editing, "heidi"),
            (JobHistoryKind.Submit, JobStatus.Editing, JobStatus.Queued, "heidi"),
            (JobHistoryKind.RunNow, JobStatus.Queued, JobStatus.Queued, "ivan"),
            (JobHistoryKind.Started, null, null, null),
            (JobHistoryKind.Ended, null, JobStatus.Completed, null));
        history[1].Reason.Should().Be("parameters checked");
    }

    [Theory]
    [InlineData("Actor", "   ")]
    [InlineData("Actor", "")]
    [InlineData("Actor", "long")]
    [InlineData("Reason", "\t\n")]
    [InlineData("Reason", "long")]
    public async Task Commands_BlankOrOversizedActorOrReason_AreRefusedNamingTheField_AndNothingIsStored(string field, string value)
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { Delay = TimeSpan.FromHours(1) });
        var before = await host.Tracker.GetAsync(id);
        var text = value == "long" ? new string('x', JobStartOptions.MaxTextLength + 1) : value;
        var options = field == "Actor" ? new JobCommandOptions { Actor = text } : new JobCommandOptions { Actor = "erin", Reason = text };

        foreach (var command in new Func<ValueTask>[]
        {
            () => host.Runner.PauseAsync(id, options),
            () => host.Runner.CancelAsync(id, options),
            () => host.Runner.RunNowAsync(id, options),
            () => host.Runner.ResumeAsync(id, options),
            () => host.Runner.RestartAsync(id, options),
            () => host.Runner.SubmitAsync(id, options),
        })
        {
            var error = (await command.Invoking(c => c().AsTask()).Should().ThrowAsync<ArgumentException>()).Which;
            error.ParamName.Should().Be(field);
            error.Message.Should().Contain($"{field} must be 1 to {JobStartOptions.MaxTextLength} characters and not blank");
        }

        var after = await host.Tracker.GetAsync(id);
        (after.Status, after.Version).Should().Be((before.Status, before.Version), "nothing was changed");
        (await host.Tracker.GetHistoryAsync(id)).Select(e => e.Kind).Should().Equal([JobHistoryKind.Created], "nothing was recorded");
    }

    [Fact]
    public async Task Command_TheStoreRefusesItsHistoryEntry_TheMoveStands_AndOnlyTheEntryIsLost()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time));
        await using var host = await TestHost.Create(store: store, time: time).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { Delay = TimeSpan.FromHours(1) });
        store.RefusesJournalEntry = e => e.Kind == JobJournalKind.History;

        await host.Runner.PauseAsync(id, new JobCommandOptions { Actor = "frank" });

        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Paused, "the move is stored before its entry is written");
        (await host.Tracker.GetHistoryAsync(id)).Select(e => e.Kind).Should().Equal([JobHistoryKind.Created], "the store refused the entry");
        store.InjectedFaults.Should().Be(1);
        (await host.Tracker.GetLogAsync(id)).Items.Should().ContainSingle().Which.Message.Should().StartWith("[A history entry of ", "a marker stands for the entry, as for any journal entry the store refuses");

        store.RefusesJournalEntry = null;
        await host.Runner.ResumeAsync(id, new JobCommandOptions { Actor = "frank" });
        (await host.Tracker.GetHistoryAsync(id)).Select(e => e.Kind).Should().Equal(JobHistoryKind.Created, JobHistoryKind.Resume);
    }

    [Fact]
    public async Task Command_StoreStopsAnsweringRightAfterTheMove_TheCommandReturns_AndTheEntryIsStoredOnceTheStoreIsBack()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var inner = new CountingJobStore(TestHost.CreateMemoryStore(time: time));
        var store = new FaultInjectingJobStore(inner);
        inner.Transitioned = t => store.IsDown |= t.ToStatus == JobStatus.Paused;
        await using var host = await TestHost.Create(store: store, time: time).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { Delay = TimeSpan.FromHours(1) });

        await host.Runner.PauseAsync(id, new JobCommandOptions { Actor = "grace", Reason = "store outage drill" });

        store.IsDown.Should().BeTrue("the store went down between the move and its history entry");
        (await inner.GetAsync(id))!.Status.Should().Be(JobStatus.Paused, "the move is stored");
        var appendsBefore = inner.Calls.GetValueOrDefault(nameof(IJobJournalStore.AppendJournalAsync));
        await Wait.UntilAsync(() => store.InjectedFaults > 0, "the entry's first write, refused while the store is down");
        inner.Calls.GetValueOrDefault(nameof(IJobJournalStore.AppendJournalAsync)).Should().Be(appendsBefore, "nothing reached the store");

        store.IsDown = false;
        var read = host.Tracker.GetHistoryAsync(id).AsTask();
        await Wait.UntilAsync(() => { time.Advance(TimeSpan.FromMilliseconds(200)); return read.IsCompleted; }, "the journal's retry");
        var pause = (await read).Should().ContainSingle(e => e.Kind == JobHistoryKind.Pause).Which;
        (pause.Actor, pause.Reason, pause.FromStatus, pause.ToStatus).Should().Be(("grace", "store outage drill", JobStatus.Queued, JobStatus.Paused));
    }
}
