using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobTracking.Tests;

/// <summary>Delayed start, run now, automatic retries with backoff, timeouts and idempotency keys, through the public API on a fake clock.</summary>
public sealed class TimeAndRetryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DelayedStart_RunsNotBeforeItsTime()
    {
        await using var host = await TestHost.Create().StartAsync();
        var start = host.Time.GetUtcNow();

        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { Delay = TimeSpan.FromMinutes(10) });
        var waiting = (await host.Store.GetAsync(id))!;
        waiting.Status.Should().Be(JobStatus.Queued);
        waiting.RunAfter.Should().Be(start.AddMinutes(10));

        // A job started later but ready at once runs first: the scheduler looked, and left the delayed one waiting.
        host.Time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        var other = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        await host.WaitAsync(other, JobStatus.Completed);
        (await host.Store.GetAsync(id))!.Status.Should().Be(JobStatus.Queued);
        host.Probe.For(id).Runs.Should().Be(0);

        host.Time.Advance(TimeSpan.FromSeconds(1));
        var done = await host.WaitAsync(id, JobStatus.Completed);
        done.StartedAt.Should().BeOnOrAfter(start.AddMinutes(10));
    }

    [Fact]
    public async Task DelayedStart_JobsCreatedBeforeTheHostStarted_RunOnTime()
    {
        var store = TestHost.CreateMemoryStore();
        await using var first = TestHost.Create(store: store);
        var id = await first.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { RunAt = first.Time.GetUtcNow().AddHours(1) });

        // No feed change tells the started host of the job: it asks the store when the next job comes due. Its scheduler
        // has claimed (a job ready at once ran) and waits when the clock reaches the job's time.
        await using var host = await TestHost.Create(store: store, time: first.Time).StartAsync();
        await host.WaitAsync(await host.StartStepJobAsync(new StepParameters { Steps = 1 }), JobStatus.Completed);
        host.Time.Advance(TimeSpan.FromHours(1));
        await host.WaitAsync(id, JobStatus.Completed);
    }

    [Fact]
    public async Task DelayedStart_AJobTheFeedDoesNotTellOf_RunsOnTime()
    {
        // A store whose feed never says when a job comes due (as when the change was made before this instance read the
        // feed): the scheduler learns it from the store alone, asked when it starts.
        var inner = TestHost.CreateMemoryStore();
        var store = new FeedWithoutTimes(inner);
        await using var host = TestHost.Create(store: store);
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { Delay = TimeSpan.FromMinutes(30) });
        await host.StartAsync();
        await store.Asked.WaitAsync(Patience);

        host.Time.Advance(TimeSpan.FromMinutes(30));
        await host.WaitAsync(id, JobStatus.Completed);
    }

    [Fact]
    public async Task RunAtInThePast_RunsAtOnce()
    {
        await using var host = await TestHost.Create().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { RunAt = host.Time.GetUtcNow().AddDays(-1) });
        await host.WaitAsync(id, JobStatus.Completed);
    }

    [Fact]
    public async Task WaitingJob_CanRunNow_BePausedResumedAndCancelled()
    {
        await using var host = await TestHost.Create().StartAsync();
        var later = host.Time.GetUtcNow().AddHours(5);
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { RunAt = later });
        var cancelled = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { RunAt = later });

        await host.Runner.PauseAsync(id);
        (await host.Store.GetAsync(id))!.RunAfter.Should().Be(later);
        await host.Runner.ResumeAsync(id);
        var resumed = (await host.Store.GetAsync(id))!;
        resumed.Status.Should().Be(JobStatus.Queued);
        resumed.RunAfter.Should().Be(later, "a resumed job still waits for its time");

        await host.Runner.CancelAsync(cancelled);
        (await host.Store.GetAsync(cancelled))!.Status.Should().Be(JobStatus.Cancelled);

        await host.Runner.RunNowAsync(id);
        var done = await host.WaitAsync(id, JobStatus.Completed);
        done.RunAfter.Should().BeNull();
        await host.Runner.Invoking(r => r.RunNowAsync(id).AsTask()).Should().ThrowAsync<InvalidJobTransitionException>();
    }

    [Fact]
    public async Task Retry_FailedAttemptsWaitTheirBackoffThenTheJobSucceeds()
    {
        await using var host = await TestHost.Create(configure: b => b.Configure(o => o.JobTypes[nameof(StepJob)] = new JobTypeOptions
        {
            MaxAttempts = 3,
            RetryDelay = TimeSpan.FromSeconds(10),
            RetryJitter = 0,
        })).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 2, FailAt = 1, FailUntilAttempt = 2 });

        var first = await WaitForAttemptAsync(host, id, 2);
        first.Status.Should().Be(JobStatus.Queued);
        var firstFailedAt = first.PreviousAttempts[0].EndedAt!.Value;
        first.RunAfter.Should().Be(firstFailedAt.AddSeconds(10));
        first.PreviousAttempts.Should().ContainSingle().Which.Should().Match<JobAttempt>(a =>
            a.Number == 1 && a.Status == JobStatus.Failed && a.Error!.Message == "Step 1 failed on purpose.");

        host.Time.Advance(TimeSpan.FromSeconds(10));
        var second = await WaitForAttemptAsync(host, id, 3);
        second.RunAfter.Should().Be(second.PreviousAttempts[1].EndedAt!.Value.AddSeconds(20), "the backoff doubles");

        host.Time.Advance(TimeSpan.FromSeconds(20));
        var done = await host.WaitAsync(id, JobStatus.Completed);
        done.Attempts.Select(a => a.Status).Should().Equal(JobStatus.Failed, JobStatus.Failed, JobStatus.Completed);
        done.Progress.Should().Be(new JobProgress(2, 2));
        host.Probe.For(id).Executed.Should().Equal([0, 1], "the retries continue from the checkpoint: step 0 ran once");
    }

    [Fact]
    public async Task Retry_LastFailureEndsTheJobFailed()
    {
        await using var host = await TestHost.Create(configure: b => b.AddJob<StepJob>(o =>
        {
            o.MaxAttempts = 2;
            o.RetryDelay = TimeSpan.FromSeconds(1);
        })).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1, FailAt = 0 });

        await WaitForAttemptAsync(host, id, 2);
        host.Time.Advance(TimeSpan.FromSeconds(2));
        var failed = await host.WaitAsync(id, JobStatus.Failed);
        failed.Attempt.Should().Be(2);
        failed.Attempts.Should().HaveCount(2).And.OnlyContain(a => a.Status == JobStatus.Failed && a.Error!.Message == "Step 0 failed on purpose.");
    }

    [Fact]
    public async Task Retry_OnlyTheListedFailuresAreRetried()
    {
        await using var host = await TestHost.Create(configure: b => b.AddJob<StepJob>(o =>
        {
            o.MaxAttempts = 5;
            o.RetryOn.Add(typeof(TimeoutException));
        })).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1, FailAt = 0 });

        var failed = await host.WaitAsync(id, JobStatus.Failed);
        failed.Attempt.Should().Be(1, "an InvalidOperationException is not in RetryOn");
        failed.Error!.Type.Should().Be(typeof(InvalidOperationException).FullName);
    }

    [Fact]
    public async Task Timeout_FiresTheTokenAndFailsTheJobSayingSo()
    {
        await using var host = await TestHost.Create(configure: b => b.AddJob<StepJob>(o => o.Timeout = TimeSpan.FromMinutes(5))).StartAsync();
        var byType = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        var byStart = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true }, new JobStartOptions { Timeout = TimeSpan.FromMinutes(1) });
        await host.Probe.For(byType).WaitForStepAsync(0);
        await host.Probe.For(byStart).WaitForStepAsync(0);

        host.Time.Advance(TimeSpan.FromMinutes(1));
        var first = await host.WaitAsync(byStart, JobStatus.Failed);
        first.Error!.Type.Should().Be(typeof(JobTimeoutException).FullName);
        first.Error.Message.Should().Contain("timed out after 00:01:00");
        (await host.Store.GetAsync(byType))!.Status.Should().Be(JobStatus.Running, "the type's timeout is five minutes");

        host.Time.Advance(TimeSpan.FromMinutes(4));
        (await host.WaitAsync(byType, JobStatus.Failed)).Error!.Message.Should().Contain("timed out after 00:05:00");
    }

    [Fact]
    public async Task Timeout_IsRetriedByTheTypesPolicy()
    {
        await using var host = await TestHost.Create(configure: b => b.AddJob<StepJob>(o =>
        {
            o.MaxAttempts = 2;
            o.RetryDelay = TimeSpan.Zero;
            o.RetryOn.Add(typeof(JobTimeoutException));
        })).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true }, new JobStartOptions { Timeout = TimeSpan.FromSeconds(30) });
        await host.Probe.For(id).WaitForStepAsync(0);

        host.Time.Advance(TimeSpan.FromSeconds(30));
        await WaitForEventAsync(host, id, e => e.IsStarted && e.Attempt == 2);
        host.Probe.For(id).Release();
        var done = await host.WaitAsync(id, JobStatus.Completed);
        done.PreviousAttempts.Should().ContainSingle().Which.Error!.Type.Should().Be(typeof(JobTimeoutException).FullName);
    }

    [Fact]
    public async Task IdempotencyKey_RepeatedStartsReturnTheFirstJob()
    {
        await using var host = await TestHost.Create().StartAsync();
        var options = new JobStartOptions { IdempotencyKey = "order/42" };
        using var go = new ManualResetEventSlim();
        var starts = Enumerable.Range(0, 1000).Select(_ => Task.Run(async () =>
        {
            go.Wait();
            return await host.StartStepJobAsync(new StepParameters { Steps = 1 }, options);
        })).ToList();
        go.Set();
        var ids = await Task.WhenAll(starts);

        ids.Distinct().Should().ContainSingle();
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().ContainSingle();
        await host.WaitAsync(ids[0], JobStatus.Completed);
        (await host.StartStepJobAsync(new StepParameters { Steps = 1 }, options)).Should().Be(ids[0], "a finished job keeps its key for as long as it is kept");
    }

    [Fact]
    public async Task IdempotencyKey_WindowLetsANewJobStartAfterIt()
    {
        await using var host = await TestHost.Create().StartAsync();
        var options = new JobStartOptions { IdempotencyKey = "nightly", IdempotencyWindow = TimeSpan.FromHours(1) };
        var first = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, options);
        await host.WaitAsync(first, JobStatus.Completed);
        (await host.StartStepJobAsync(new StepParameters { Steps = 1 }, options)).Should().Be(first);

        host.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var second = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, options);
        second.Should().NotBe(first);
        (await host.Store.GetAsync(first))!.IdempotencyKey.Should().BeNull();
    }

    [Fact]
    public async Task IdempotencyKey_BulkStartHonoursEachItemsKey()
    {
        await using var host = await TestHost.Create().StartAsync();
        var held = await host.StartStepJobAsync(new StepParameters { Steps = 1 }, new JobStartOptions { IdempotencyKey = "b" });

        var ids = await host.Runner.Job<StepJob>().StartManyAsync(
        [
            new JobStartRequest<StepParameters>(new StepParameters { Steps = 1 }, new JobStartOptions { IdempotencyKey = "a" }),
            new JobStartRequest<StepParameters>(new StepParameters { Steps = 1 }, new JobStartOptions { IdempotencyKey = "b" }),
            new JobStartRequest<StepParameters>(new StepParameters { Steps = 1 }, new JobStartOptions { IdempotencyKey = "a" }),
            new JobStartRequest<StepParameters>(new StepParameters { Steps = 2 }),
        ]);

        ids[1].Should().Be(held);
        ids[2].Should().Be(ids[0]);
        ids.Distinct().Should().HaveCount(3);
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().HaveCount(3);

        await host.Runner.Invoking(r => r.StartManyAsync(nameof(StepJob), [new StepParameters(), new StepParameters()], new JobStartOptions { IdempotencyKey = "shared" }).AsTask())
            .Should().ThrowAsync<ArgumentException>().WithMessage("*give each item its own key*");
    }

    [Theory]
    [InlineData("negative delay")]
    [InlineData("both times")]
    [InlineData("blank key")]
    [InlineData("window without key")]
    [InlineData("zero timeout")]
    [InlineData("long key")]
    public async Task BadStartOptions_AreNamedAndStoreNothing(string bad)
    {
        await using var host = await TestHost.Create().StartAsync();
        var options = bad switch
        {
            "negative delay" => new JobStartOptions { Delay = TimeSpan.FromSeconds(-1) },
            "both times" => new JobStartOptions { Delay = TimeSpan.FromSeconds(1), RunAt = host.Time.GetUtcNow() },
            "blank key" => new JobStartOptions { IdempotencyKey = " " },
            "window without key" => new JobStartOptions { IdempotencyWindow = TimeSpan.FromHours(1) },
            "zero timeout" => new JobStartOptions { Timeout = TimeSpan.Zero },
            _ => new JobStartOptions { IdempotencyKey = new string('k', JobStartOptions.MaxIdempotencyKeyLength + 1) },
        };

        var thrown = await host.Invoking(h => h.StartStepJobAsync(new StepParameters(), options).AsTask()).Should().ThrowAsync<ArgumentException>();
        thrown.Which.Message.Should().ContainAny("Delay", "RunAt", "IdempotencyKey", "IdempotencyWindow", "Timeout");
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task RetryPolicyAndTimeout_BindFromConfiguration_AndCodeHasTheLastWord()
    {
        const string json = """{"JobTracking":{"JobTypes":{"StepJob":{"MaxAttempts":5,"RetryDelay":"00:00:30","Timeout":"02:00:00"},"OtherJob":{"MaxAttempts":2}}}}""";
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        await using var host = await TestHost.Create(configure: b =>
        {
            b.Services.Configure<JobTrackingOptions>(configuration.GetSection(JobTrackingOptions.SectionName));
            b.AddJob<OtherJob>(o => o.MaxAttempts = 4);
        }).StartAsync();

        host.Tracker.JobTypes.Should().Equal(
            new JobTypeInfo(nameof(OtherJob), nameof(OtherJob), 4, null),
            new JobTypeInfo(nameof(StepJob), "Step job", 5, TimeSpan.FromHours(2)));
    }

    [Fact]
    public async Task BadRetryPolicy_IsNamedWhenTheHostStarts()
    {
        await using var host = TestHost.Create(configure: b => b.AddJob<StepJob>(o => o.MaxAttempts = 0));

        (await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>())
            .Which.Message.Should().Contain($"JobTracking:JobTypes:{nameof(StepJob)}:MaxAttempts is 0");
    }

    // The job's retry to the attempt, read from the change feed from its start, so an event before the call is seen too.
    private static async Task<JobRecord> WaitForAttemptAsync(TestHost host, Guid id, int attempt)
    {
        await WaitForEventAsync(host, id, e => e.IsRetry && e.Attempt == attempt);
        return (await host.Store.GetAsync(id))!;
    }

    private static async Task WaitForEventAsync(TestHost host, Guid id, Func<JobEvent, bool> wanted)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var events = host.Services.GetRequiredService<IJobEvents>();
        await foreach (var e in events.ReadAllAsync(new JobSubscriptionOptions { JobId = id, AfterSequence = 0 }, timeout.Token))
        {
            if (wanted(e))
            {
                return;
            }
        }
    }

    private sealed class FeedWithoutTimes(IJobStore inner) : DecoratingStore(inner)
    {
        private readonly TaskCompletionSource _asked = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Asked => _asked.Task;

        public override ValueTask<DateTimeOffset?> GetNextRunAfterAsync(CancellationToken cancellationToken = default)
        {
            _asked.TrySetResult();
            return base.GetNextRunAfterAsync(cancellationToken);
        }

        public override async ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadFeedAsync(afterSequence, buffer, cancellationToken);
            var changes = buffer.Span[..read.Count];
            for (var i = 0; i < changes.Length; i++)
            {
                changes[i] = changes[i] with { RunAfter = null };
            }

            return read;
        }
    }
}
