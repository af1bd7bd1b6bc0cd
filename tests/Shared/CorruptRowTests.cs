using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobTracking.TestSupport;

/// <summary>
/// A stored row edited by hand into a state JobTracking never writes, in a store a person can edit (SQLite,
/// PostgreSQL): reading it is a clear error naming the job and what is wrong with it, and the host keeps starting,
/// claiming and running the other jobs. Each store's test class derives from this one and edits its own table.
/// </summary>
public abstract class CorruptRowTests : IAsyncDisposable
{
    private readonly StepLog _steps = new();
    private readonly List<IHost> _hosts = [];

    /// <summary>The hand edits, as SQL assignments both stores accept, and the words the error must hold.</summary>
    public static TheoryData<string, string> Corruptions() => new()
    {
        { "status = 42", "42 is not a job status" },
        { "status = 99", "status: 99 is not a job status" },
        { "status = -1", "status: -1 is not a job status" },
        { "version = -1", "version" },
        { "steps = 'not json'", "steps" },
        { "checkpoint_report = 'not json'", "checkpoint_report" },
        { "previous_attempts = '[{\"number\": \"one\"}]'", "previous_attempts" },
    };

    /// <summary>The same edits but the unknown status, each on a job also made Queued with the highest priority, so the next claim meets it first.</summary>
    public static TheoryData<string, string> QueuedCorruptions() => new()
    {
        { "version = -1", "version" },
        { "steps = 'not json'", "steps" },
        { "checkpoint_report = 'not json'", "checkpoint_report" },
        { "previous_attempts = '[{\"number\": \"one\"}]'", "previous_attempts" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public async Task CorruptRow_ReadOrCommanded_IsAClearErrorNamingTheJob_AndTheHostRunsOn(string edit, string named)
    {
        var host = await StartHostAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        var seen = new ConcurrentQueue<JobEvent>();
        var subscription = host.Services.GetRequiredService<IJobEvents>().Subscribe(seen.Enqueue);
        var corrupt = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
        var sound = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
        await WaitAsync(runner, corrupt, JobStatus.Completed);
        await WaitAsync(runner, sound, JobStatus.Completed);

        await EditAsync(corrupt, edit);

        foreach (var read in new Func<Task>[]
        {
            () => tracker.GetAsync(corrupt).AsTask(),
            () => tracker.ListAsync(new JobQuery()).AsTask(),
            () => runner.RestartAsync(corrupt).AsTask(),
            () => runner.CancelAsync(corrupt).AsTask(),
        })
        {
            (await read.Should().ThrowExactlyAsync<JobTrackingException>()).Which.Message.Should()
                .Contain($"job '{corrupt}'").And.Contain("malformed").And.Contain(named);
        }

        (await tracker.GetAsync(sound)).Status.Should().Be(JobStatus.Completed);
        var next = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 2, MillisecondsPerStep = 0 });
        await WaitAsync(runner, next, JobStatus.Completed);

        // Nothing reads the edited row as another status: the counts leave it out, and a change the edit put in the
        // feed (a store whose feed is kept by triggers, when the edit also moved the version) says no status. Events
        // come in feed order, so once the next job's completion is seen, so is any change the edit made.
        (await tracker.CountAsync()).Should().OnlyContain(c => c.Status == JobStatus.Completed, "every readable job is Completed");
        await Wait.UntilAsync(() => seen.Any(e => e.JobId == next && e.Status == JobStatus.Completed), "the next job's completion to be delivered");
        seen.Where(e => e.JobId == corrupt).SkipWhile(e => e.Status != JobStatus.Completed).Should()
            .OnlyContain(e => e.Status == JobStatus.Completed || !Enum.IsDefined(e.Status), "the edit set no status a job can have");
        subscription.Dispose();

        // A host starting on the same store (recovery, counts, interrupted jobs) is not stopped by the row either.
        await StopHostAsync(host);
        var restarted = await StartHostAsync();
        var after = await restarted.Services.GetRequiredService<IJobRunner>().StartAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
        await WaitAsync(restarted.Services.GetRequiredService<IJobRunner>(), after, JobStatus.Completed);
    }

    [Theory]
    [MemberData(nameof(QueuedCorruptions))]
    public async Task CorruptQueuedRow_MetByAClaim_FailsNamingTheProblem_AndTheOtherJobsRun(string edit, string named)
    {
        var host = await StartHostAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var events = host.Services.GetRequiredService<IJobEvents>();
        var failed = new TaskCompletionSource<JobEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var corrupt = await runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
        using var subscription = events.Subscribe(e =>
        {
            if (e.JobId == corrupt && e.Status == JobStatus.Failed)
            {
                failed.TrySetResult(e);
            }
        });

        await EditAsync(corrupt, $"{edit}, status = {(int)JobStatus.Queued}, priority = 1000");

        // Starting jobs wakes the scheduler, whose next claim meets the edited row first.
        var others = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            others.Add(await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 }));
        }

        foreach (var id in others)
        {
            await WaitAsync(runner, id, JobStatus.Completed);
        }

        var failure = await failed.Task.WaitAsync(Wait.DefaultTimeout);
        failure.Error!.Message.Should().Contain($"job '{corrupt}'").And.Contain(named);
        _steps.Of(corrupt).Should().BeEmpty("a job whose row cannot be read never runs");
        try
        {
            // Failing it raised the version by one more: a row whose only fault was its version now reads as the failed job it is.
            var job = await host.Services.GetRequiredService<IJobTracker>().GetAsync(corrupt);
            (job.Status, job.Error!.Message).Should().Be((JobStatus.Failed, failure.Error.Message));
        }
        catch (JobTrackingException error)
        {
            error.Message.Should().Contain($"job '{corrupt}'").And.Contain(named);
        }
    }

    [Theory]
    [InlineData("99", "previous_attempts: status: 99 is not a job status")]
    [InlineData("-1", "previous_attempts: status: -1 is not a job status")]
    [InlineData("\"Queued\"", "previous_attempts")]
    [InlineData("2.5", "previous_attempts")]
    public Task CorruptAttemptStatus_ReadOrCommanded_IsAClearErrorNamingTheJob_AndTheHostRunsOn(string status, string named) =>
        CorruptRow_ReadOrCommanded_IsAClearErrorNamingTheJob_AndTheHostRunsOn($"previous_attempts = '[{AttemptJson(status)}]'", named);

    /// <summary>A change of the feed edited by hand: a subscriber reading from the start gets it with no status, never another one, and the changes after it.</summary>
    [Theory]
    [InlineData("status = 42")]
    [InlineData("previous_status = -1, status = 99")]
    public async Task CorruptFeedRow_ReadFromTheStart_CarriesNoStatus_AndTheChangesAfterItFollow(string edit)
    {
        var host = await StartHostAsync();
        var draft = await host.Services.GetRequiredService<IJobRunner>().CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
        await StopHostAsync(host); // the next host reads the feed from the store, not from what this one already read
        await EditFeedAsync(draft, edit);

        var restarted = await StartHostAsync();
        var seen = new ConcurrentQueue<JobEvent>();
        using var subscription = restarted.Services.GetRequiredService<IJobEvents>().Subscribe(seen.Enqueue, new JobSubscriptionOptions { AfterSequence = 0, IncludeProgress = false });
        var runner = restarted.Services.GetRequiredService<IJobRunner>();
        var after = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
        await WaitAsync(runner, after, JobStatus.Completed);

        await Wait.UntilAsync(() => seen.Any(e => e.JobId == after && e.Status == JobStatus.Completed), "the events after the edited change");
        var change = seen.Single(e => e.JobId == draft);
        Enum.IsDefined(change.Status).Should().BeFalse($"the edit set no status a job can have, and the change says {change.Status}");
        if (edit.Contains("previous_status", StringComparison.Ordinal))
        {
            Enum.IsDefined(change.PreviousStatus).Should().BeFalse($"the edit set no previous status a job can have, and the change says {change.PreviousStatus}");
        }

        (await restarted.Services.GetRequiredService<IJobTracker>().GetAsync(draft)).Status.Should().Be(JobStatus.Editing, "only the feed was edited");
    }

    [Fact]
    public async Task RunningRowWithoutAClaim_IsReclaimedAndRunsToTheEnd()
    {
        var host = await StartHostAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var orphan = await runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 2, MillisecondsPerStep = 0 });

        await EditAsync(orphan, $"status = {(int)JobStatus.Running}, instance_id = NULL, claim_id = NULL, lease_until = NULL");

        var job = await WaitAsync(runner, orphan, JobStatus.Completed);
        job.Attempt.Should().Be(1);
        _steps.Of(orphan).Should().Equal(0, 1);
    }

    [Fact]
    public async Task CorruptRunningRow_AtStartUp_FailsNamingTheProblem_AndTheOtherOrphanResumes()
    {
        var host = await StartHostAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var corrupt = await runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
        var orphan = await runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
        await StopHostAsync(host);
        const string running = "status = 2, instance_id = NULL, claim_id = NULL, lease_until = NULL";
        await EditAsync(corrupt, $"steps = 'not json', {running}");
        await EditAsync(orphan, running);

        var restarted = await StartHostAsync();
        var restartedRunner = restarted.Services.GetRequiredService<IJobRunner>();

        await WaitAsync(restartedRunner, orphan, JobStatus.Completed);
        var counts = await restarted.Services.GetRequiredService<IJobTracker>().CountAsync();
        counts.Should().ContainSingle(c => c.Status == JobStatus.Failed).Which.Count.Should().Be(1, "the row that cannot be read ends Failed, not Running for ever");
        counts.Where(c => JobLifecycle.IsActive(c.Status) || c.Status == JobStatus.Interrupted).Sum(c => c.Count).Should().Be(0);
        _steps.Of(corrupt).Should().BeEmpty();
    }

    [Fact]
    public async Task CorruptInterruptedRow_AtStartUp_DoesNotStopTheHost()
    {
        var host = await StartHostAsync();
        var corrupt = await host.Services.GetRequiredService<IJobRunner>().CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
        await StopHostAsync(host);
        await EditAsync(corrupt, $"steps = 'not json', status = {(int)JobStatus.Interrupted}");

        var restarted = await StartHostAsync();
        var runner = restarted.Services.GetRequiredService<IJobRunner>();

        var next = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
        await WaitAsync(runner, next, JobStatus.Completed);
        await restarted.Services.GetRequiredService<IJobTracker>().Invoking(t => t.GetAsync(corrupt).AsTask())
            .Should().ThrowExactlyAsync<JobTrackingException>().WithMessage($"*job '{corrupt}'*steps*");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }

        await DisposeStoreAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Creates the test's database on the first call (or skips the test when the store's server is missing).</summary>
    protected abstract ValueTask PrepareStoreAsync();

    /// <summary>Adds the store under test to a host; every host of one test uses the same database.</summary>
    protected abstract void UseStore(JobTrackingBuilder builder);

    /// <summary>Runs <c>UPDATE jobs SET {assignments} WHERE id = {jobId}</c> on the store's own table, as a person with a SQL shell would.</summary>
    protected abstract Task EditAsync(Guid jobId, string assignments);

    /// <summary>Runs <c>UPDATE</c> on the rows of the store's change feed that belong to <paramref name="jobId"/>.</summary>
    protected abstract Task EditFeedAsync(Guid jobId, string assignments);

    /// <summary>An attempt as the store writes it into <c>previous_attempts</c>, with <paramref name="status"/> (JSON) as its status.</summary>
    protected abstract string AttemptJson(string status);

    /// <summary>Deletes the test's database.</summary>
    protected abstract ValueTask DisposeStoreAsync();

    protected async Task<IHost> StartHostAsync()
    {
        await PrepareStoreAsync();
        _steps.NextHost();
        var host = new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton(_steps);
                services.AddJobTracking(b =>
                {
                    UseStore(b.AddJob<StepJob>());
                    b.Configure(o =>
                    {
                        o.MaxConcurrency = 2;
                        o.LeaseDuration = TimeSpan.FromSeconds(1);
                        o.HeartbeatInterval = TimeSpan.FromMilliseconds(300);
                        o.PollInterval = TimeSpan.FromMilliseconds(200);
                        o.ProgressInterval = TimeSpan.FromMilliseconds(10);
                    });
                });
            })
            .Build();
        _hosts.Add(host);
        await host.StartAsync();
        return host;
    }

    // A store holds its database until its host is disposed (a SQLite file is locked), so a host stops for good before the next starts.
    private async Task StopHostAsync(IHost host)
    {
        _hosts.Remove(host);
        await host.StopAsync();
        host.Dispose();
    }

    protected static async Task<JobRecord> WaitAsync(IJobRunner runner, Guid id, JobStatus status)
    {
        using var timeout = new CancellationTokenSource(Wait.DefaultTimeout);
        return await runner.WaitForStatusAsync(id, status, timeout.Token);
    }
}
