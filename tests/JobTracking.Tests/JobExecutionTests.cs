namespace JobTracking.Tests;

public sealed class JobExecutionTests
{
    [Fact]
    public async Task StartAsync_ValidParameters_RunsToCompletedWithProgressAndTimes()
    {
        await using var host = await TestHost.Create().StartAsync();

        var id = await host.StartStepJobAsync(new StepParameters { Steps = 5 }, new JobStartOptions { DisplayName = "Import <b>products</b>", LaunchedBy = "alice" });
        var job = await host.WaitAsync(id, JobStatus.Completed);

        job.TypeName.Should().Be(nameof(StepJob));
        job.DisplayName.Should().Be("Import <b>products</b>", "user text is stored as given; encoding is the renderer's job");
        job.LaunchedBy.Should().Be("alice");
        job.Progress.Should().Be(new JobProgress(5, 5));
        job.Progress.Percent.Should().Be(100);
        job.StartedAt.Should().Be(host.Time.GetUtcNow());
        job.EndedAt.Should().Be(host.Time.GetUtcNow());
        job.Node.Should().Be("test-node");
        job.Attempt.Should().Be(1);
        host.Probe.For(id).Executed.Should().Equal(0, 1, 2, 3, 4);
    }

    [Fact]
    public async Task PauseResume_AtSafePoint_ContinuesFromCheckpointWithoutRepeatingWork()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 4, Blocking = true });
        var probe = host.Probe.For(id);
        await probe.WaitForStepAsync(0);

        await host.Runner.PauseAsync(id);
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Pausing);
        probe.Release();
        var paused = await host.WaitAsync(id, JobStatus.Paused);

        paused.Checkpoint.Should().Be("1");
        paused.Progress.Should().Be(new JobProgress(1, 4));
        probe.Executed.Should().Equal(0);

        await host.Runner.ResumeAsync(id);
        await probe.WaitForStepAsync(1);
        probe.Release(3);
        var done = await host.WaitAsync(id, JobStatus.Completed);

        probe.Executed.Should().Equal(0, 1, 2, 3);
        probe.Runs.Should().Be(2);
        done.Checkpoint.Should().Be("4");
    }

    [Fact]
    public async Task ResumeWhilePausing_BeforeSafePoint_KeepsRunning()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 3, Blocking = true });
        var probe = host.Probe.For(id);
        await probe.WaitForStepAsync(0);

        await host.Runner.PauseAsync(id);
        await host.Runner.ResumeAsync(id);
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Running);
        probe.Release(3);

        await host.WaitAsync(id, JobStatus.Completed);
        probe.Executed.Should().Equal(0, 1, 2);
        probe.Runs.Should().Be(1);
    }

    [Fact]
    public async Task Cancel_JobWaitingOnToken_EndsCancelledAtOnce()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 3, Blocking = true });
        await host.Probe.For(id).WaitForStepAsync(0);

        await host.Runner.CancelAsync(id);

        var job = await host.WaitAsync(id, JobStatus.Cancelled);
        job.EndedAt.Should().NotBeNull();
        host.Probe.For(id).Executed.Should().BeEmpty();
    }

    [Fact]
    public async Task Cancel_JobIgnoringToken_EndsCancelledAtNextSafePoint()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 3, Blocking = true, HonourToken = false });
        var probe = host.Probe.For(id);
        await probe.WaitForStepAsync(0);

        await host.Runner.CancelAsync(id);
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Cancelling);
        probe.Release();

        await host.WaitAsync(id, JobStatus.Cancelled);
        probe.Executed.Should().Equal(0);
    }

    [Fact]
    public async Task Pause_JobWithoutSafePoints_StaysPausingUntilItCompletes()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 3, Blocking = true, NoSafePoints = true });
        var probe = host.Probe.For(id);
        await probe.WaitForStepAsync(0);

        await host.Runner.PauseAsync(id);
        probe.Release();
        await probe.WaitForStepAsync(1);
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Pausing);
        probe.Release(2);

        await host.WaitAsync(id, JobStatus.Completed);
        probe.Executed.Should().Equal(0, 1, 2);
    }

    [Fact]
    public async Task Pause_QueuedJob_HoldsItUntilResumed()
    {
        await using var host = TestHost.Create(o => o.MaxConcurrency = 1);
        await host.StartAsync();
        var blocker = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await host.Probe.For(blocker).WaitForStepAsync(0);
        var held = await host.StartStepJobAsync(new StepParameters { Steps = 1 });

        await host.Runner.PauseAsync(held);
        host.Probe.For(blocker).Release();
        await host.WaitAsync(blocker, JobStatus.Completed);
        (await host.Tracker.GetAsync(held)).Status.Should().Be(JobStatus.Paused);

        await host.Runner.ResumeAsync(held);
        await host.WaitAsync(held, JobStatus.Completed);
    }

    [Fact]
    public async Task Throwing_Job_EndsFailedWithErrorAndRestartIsNewAttemptFromCheckpoint()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 4, FailAt = 2 });

        var failed = await host.WaitAsync(id, JobStatus.Failed);

        failed.Error.Should().NotBeNull();
        failed.Error!.Type.Should().Be(typeof(InvalidOperationException).FullName);
        failed.Error.Message.Should().Be("Step 2 failed on purpose.");
        failed.Error.StackTrace.Should().Contain(nameof(StepJob.ExecuteAsync));
        failed.Checkpoint.Should().Be("2");
        host.Probe.For(id).Executed.Should().Equal(0, 1);

        await host.Runner.RestartAsync(id);
        var again = await host.WaitAsync(id, JobStatus.Failed);
        again.Attempt.Should().Be(2);
        host.Probe.For(id).Executed.Should().Equal(0, 1);
        host.Probe.For(id).Runs.Should().Be(2);
    }

    [Fact]
    public async Task Restart_FailedJobThatThenCompletes_ShowsBothAttempts()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 3, FailAt = 1, FailFirstAttemptOnly = true });
        var failed = await host.WaitAsync(id, JobStatus.Failed);
        host.Time.Advance(TimeSpan.FromMinutes(5));

        await host.Runner.RestartAsync(id);
        var done = await host.WaitAsync(id, JobStatus.Completed);

        var job = await host.Tracker.GetAsync(id);
        job.Attempt.Should().Be(2);
        job.Error.Should().BeNull("the job's error is its last attempt's");
        job.Attempts.Should().HaveCount(2);
        var first = job.Attempts[0];
        first.Number.Should().Be(1);
        first.Status.Should().Be(JobStatus.Failed);
        first.StartedAt.Should().Be(failed.StartedAt!.Value);
        first.EndedAt.Should().Be(failed.EndedAt!.Value);
        first.Error!.Type.Should().Be(typeof(InvalidOperationException).FullName);
        first.Error.Message.Should().Be("Step 1 failed on purpose.");
        var second = job.Attempts[1];
        second.Number.Should().Be(2);
        second.Status.Should().Be(JobStatus.Completed);
        second.StartedAt.Should().Be(failed.EndedAt!.Value + TimeSpan.FromMinutes(5));
        second.EndedAt.Should().Be(done.EndedAt);
        second.Error.Should().BeNull();
    }

    [Fact]
    public async Task Draft_EditThenSubmit_RunsWithTheEditedParameters()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.Runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1 });
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Editing);

        await host.Runner.UpdateDraftAsync(id, new StepParameters { Steps = 3 }, "Edited draft");
        await host.Runner.SubmitAsync(id);

        var job = await host.WaitAsync(id, JobStatus.Completed);
        job.DisplayName.Should().Be("Edited draft");
        host.Probe.For(id).Executed.Should().Equal(0, 1, 2);
        await host.Invoking(h => h.Runner.UpdateDraftAsync(id, new StepParameters()).AsTask())
            .Should().ThrowAsync<InvalidJobTransitionException>().WithMessage("*Completed*Edit*");
    }

    [Fact]
    public async Task StoredJob_WithUnregisteredType_EndsFailedWithClearMessage()
    {
        await using var host = await TestHost.Create().StartAsync();
        // Stored as a draft (nothing claims it), then queued by the store itself: the change wakes the scheduler.
        var ghost = await StoreHelper.CreateInStatusAsync(host.Store, JobStatus.Editing, typeName: "RemovedJobType");
        (await host.Store.TryTransitionAsync(new JobTransition
        {
            JobId = ghost.Id, FromStatus = JobStatus.Editing, ExpectedVersion = ghost.Version, ToStatus = JobStatus.Queued, At = host.Time.GetUtcNow(),
        })).Should().BeTrue();

        var job = await host.WaitAsync(ghost.Id, JobStatus.Failed);

        job.Error!.Message.Should().Contain("RemovedJobType").And.Contain("not registered");
        var next = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        await host.WaitAsync(next, JobStatus.Completed);
    }

    [Fact]
    public async Task StoredJob_WithMalformedParameters_EndsFailedAndNamesTheJob()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = Guid.CreateVersion7();
        await host.Store.CreateAsync(new JobRecord
        {
            Id = id, TypeName = nameof(StepJob), DisplayName = "bad", Status = JobStatus.Queued, Version = 1,
            Parameters = "{\"steps\": \"not a number\"", CreatedAt = host.Time.GetUtcNow(),
        });
        var other = await host.StartStepJobAsync(new StepParameters { Steps = 1 }); // wakes the scheduler

        var job = await host.WaitAsync(id, JobStatus.Failed);

        job.Error!.Message.Should().Contain(id.ToString()).And.Contain("StepParameters");
        await host.WaitAsync(other, JobStatus.Completed);
    }
}
