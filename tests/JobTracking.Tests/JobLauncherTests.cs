namespace JobTracking.Tests;

public sealed class JobLauncherTests
{
    [Fact]
    public async Task StartAsync_ByJobClass_RunsUnderTheRegisteredTypeName()
    {
        await using var host = await TestHost.Create(configure: b => b.AddJob<RenamedJob>()).StartAsync();

        var id = await host.Runner.Job<RenamedJob>().StartAsync(new StepParameters { Steps = 2 }, new JobStartOptions { DisplayName = "Typed", LaunchedBy = "alice" });
        var job = await host.WaitAsync(id, JobStatus.Completed);

        host.Runner.Job<RenamedJob>().TypeName.Should().Be("renamed-import");
        job.TypeName.Should().Be("renamed-import", "the name the definition registers under, not its class name");
        job.DisplayName.Should().Be("Typed");
        job.LaunchedBy.Should().Be("alice");
        host.Probe.For(id).Executed.Should().Equal(0, 1);
    }

    [Fact]
    public async Task CreateDraftAsync_ByJobClass_CreatesADraftThatRunsOnceSubmitted()
    {
        await using var host = await TestHost.Create().StartAsync();

        var id = await host.Runner.Job<StepJob>().CreateDraftAsync(new StepParameters { Steps = 1 });
        var draft = await host.Tracker.GetAsync(id);
        await host.Runner.SubmitAsync(id);
        var done = await host.WaitAsync(id, JobStatus.Completed);

        draft.Status.Should().Be(JobStatus.Editing);
        draft.TypeName.Should().Be(nameof(StepJob));
        done.Attempt.Should().Be(1);
    }

    [Fact]
    public async Task Job_UnregisteredClass_ThrowsUnknownJobTypeNamingTheClassAndTheRegisteredTypes()
    {
        await using var host = TestHost.Create();

        host.Runner.Invoking(r => r.Job<RenamedJob>()).Should().Throw<UnknownJobTypeException>()
            .WithMessage($"Job type '{typeof(RenamedJob).FullName}' is not registered. Registered types: 'OtherJob', 'StepJob'.");
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task StartAsync_ByJobClass_InvalidParameters_AreRefusedAndNothingIsStored()
    {
        await using var host = TestHost.Create();

        await host.Runner.Invoking(r => r.Job<StepJob>().StartAsync(new StepParameters { Steps = 2, FailAt = 5 }).AsTask())
            .Should().ThrowAsync<JobParametersException>().WithMessage("*FailAt*");
        await host.Runner.Invoking(r => r.Job<StepJob>().CreateDraftAsync<StepJob, StepParameters>(null!).AsTask())
            .Should().ThrowAsync<JobParametersException>().WithMessage("*required*");
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().BeEmpty();
    }

    /// <summary>A job registered under a name of its own, unlike its class name.</summary>
    public sealed class RenamedJob(Probe probe) : JobDefinition<StepParameters>
    {
        public override string TypeName => "renamed-import";

        public override async ValueTask ExecuteAsync(IJobContext<StepParameters> context)
        {
            var job = probe.For(context.JobId);
            for (var step = 0; step < context.Parameters.Steps; step++)
            {
                await job.StepAsync(step, blocking: false, context.CancellationToken);
                await context.SafePointAsync();
            }
        }
    }
}
