using JobTracking.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Tests;

/// <summary>The health checks added with <c>services.AddHealthChecks().AddJobTracking()</c>, through <see cref="HealthCheckService"/>, on a fake clock.</summary>
public sealed class HealthCheckTests
{
    private const string StoreCheck = "jobtracking-store";
    private const string SchedulerCheck = "jobtracking-scheduler";
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Checks_AreRegisteredUnderTheirNamesWithTheJobTrackingTag()
    {
        await using var host = await CreateHost().StartAsync();

        var report = await CheckAsync(host);

        report.Entries.Keys.Should().BeEquivalentTo(StoreCheck, SchedulerCheck);
        report.Entries.Values.Should().OnlyContain(e => e.Tags.Contains("jobtracking"));
        report.Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public async Task Checks_CustomNameTagsAndFailureStatus_AreUsed()
    {
        await using var host = CreateHost(name: "jobs", failureStatus: HealthStatus.Degraded, tags: ["ready"]);

        var report = await CheckAsync(host);

        report.Entries.Keys.Should().BeEquivalentTo("jobs-store", "jobs-scheduler");
        report.Entries["jobs-scheduler"].Status.Should().Be(HealthStatus.Degraded, "a failing check reports the failure status given");
        report.Entries["jobs-scheduler"].Tags.Should().Equal("ready");
    }

    [Fact]
    public async Task StoreCheck_StoreAnswers_HealthyWithQueuedCountStoreAndCapabilities()
    {
        await using var host = await CreateHost().StartAsync();

        var entry = (await CheckAsync(host)).Entries[StoreCheck];

        entry.Status.Should().Be(HealthStatus.Healthy);
        entry.Data["queued"].Should().Be(0L);
        entry.Data["store"].Should().Be(nameof(InMemoryJobStore));
        entry.Data["capabilities"].Should().Be(host.Store.Capabilities.ToString());
    }

    [Fact]
    public async Task StoreCheck_StoreThrows_UnhealthyWithTheErrorAndTheStoreNamed()
    {
        var time = NewTime();
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time));
        await using var host = await CreateHost(store, time).StartAsync();
        store.FailsPermanently = call => call == nameof(IJobQueryStore.CountAsync);

        var entry = (await CheckAsync(host)).Entries[StoreCheck];

        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Exception.Should().BeOfType<InjectedStoreFaultException>();
        entry.Description.Should().Contain(nameof(FaultInjectingJobStore));
    }

    [Fact]
    public async Task StoreCheck_StoreHangs_UnhealthyAfterTheTimeoutOnTheHostsClock()
    {
        var time = NewTime();
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time));
        await using var host = await CreateHost(store, time, o => o.StoreTimeout = TimeSpan.FromSeconds(3)).StartAsync();
        store.DelayClock = new FakeTimeProvider(); // a clock nobody moves: every store call hangs
        store.Delay = TimeSpan.FromHours(1);

        var check = CheckAsync(host);
        // The check waits on the host's clock; move it until the timeout fires, however late the check set its timer.
        await Wait.UntilAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return check.IsCompleted;
        }, "the store check to time out");

        var entry = (await check).Entries[StoreCheck];
        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Exception.Should().BeOfType<TimeoutException>();
        entry.Description.Should().Contain(nameof(FaultInjectingJobStore)).And.Contain("3 s");
    }

    [Fact]
    public async Task StoreCheck_LastHeartbeatFailed_DegradedUntilOneSucceeds()
    {
        var time = NewTime();
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time));
        await using var host = await CreateHost(store, time).StartAsync();
        store.FailsPermanently = call => call == nameof(IJobStore.ReclaimAsync);

        time.Advance(Heartbeat);
        await WaitForStatusAsync(host, StoreCheck, HealthStatus.Degraded);
        var entry = (await CheckAsync(host)).Entries[StoreCheck];
        entry.Exception.Should().BeOfType<InjectedStoreFaultException>();
        entry.Description.Should().Contain("heartbeat failed");

        store.FailsPermanently = null;
        time.Advance(Heartbeat);
        await WaitForStatusAsync(host, StoreCheck, HealthStatus.Healthy);
    }

    [Fact]
    public async Task StoreCheck_HeartbeatLate_DegradedAfterTwoIntervals()
    {
        var time = NewTime();
        var inner = TestHost.CreateMemoryStore(time: time);
        var store = new FaultInjectingJobStore(inner);
        // Counts go straight to the store, which answers; the heartbeat's lease calls go through the decorator, which hangs.
        await using var host = await CreateHost(store, time, configure: b => b.Services.AddSingleton<IJobQueryStore>(inner)).StartAsync();
        store.DelayClock = new FakeTimeProvider();
        store.Delay = TimeSpan.FromHours(1);

        time.Advance(2 * Heartbeat);
        (await CheckAsync(host)).Entries[StoreCheck].Status.Should().Be(HealthStatus.Healthy, "the last heartbeat is two intervals old, not more");

        time.Advance(TimeSpan.FromSeconds(1));
        var entry = (await CheckAsync(host)).Entries[StoreCheck];
        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().Contain("heartbeat is late");
    }

    [Fact]
    public async Task SchedulerCheck_Running_HealthyWithRunningFreeSlotsAndQueued()
    {
        await using var host = await CreateHost().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await host.Probe.For(id).WaitForStepAsync(0);

        var entry = (await CheckAsync(host)).Entries[SchedulerCheck];

        entry.Status.Should().Be(HealthStatus.Healthy);
        entry.Data["running"].Should().Be(1);
        entry.Data["freeSlots"].Should().Be(3);
        entry.Data["claimedAhead"].Should().Be(0, "one job, taken by a worker");
        entry.Data["queued"].Should().Be(0L);
        host.Probe.For(id).Release();
        await host.WaitAsync(id, JobStatus.Completed);
    }

    [Fact]
    public async Task SchedulerCheck_HostNotStartedOrStopped_Unhealthy()
    {
        await using var host = CreateHost();
        (await CheckAsync(host)).Entries[SchedulerCheck].Status.Should().Be(HealthStatus.Unhealthy, "the host has not started");

        await host.StartAsync();
        (await CheckAsync(host)).Entries[SchedulerCheck].Status.Should().Be(HealthStatus.Healthy);

        await host.StopAsync();
        var entry = (await CheckAsync(host)).Entries[SchedulerCheck];
        entry.Status.Should().Be(HealthStatus.Unhealthy, "the host stopped");
        entry.Description.Should().Contain("not running");
    }

    [Fact]
    public async Task SchedulerCheck_FeederLoopDied_UnhealthyWithItsError()
    {
        var time = NewTime();
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time)) { FailsPermanently = call => call == nameof(IJobStore.ClaimAsync) };
        // The feeder survives store errors, but not a logger that throws while it reports one.
        await using var host = await CreateHost(store, time, configure: b => b.Services.AddSingleton<ILoggerProvider>(new ThrowingErrorLoggerProvider("JobTracking.Scheduling.JobScheduler"))).StartAsync();

        await WaitForStatusAsync(host, SchedulerCheck, HealthStatus.Unhealthy);

        var entry = (await CheckAsync(host)).Entries[SchedulerCheck];
        entry.Description.Should().Contain("feeder");
        entry.Exception.Should().NotBeNull();

        // Stopping the host reports the error that ended the feeder.
        await host.Invoking(h => h.StopAsync()).Should().ThrowAsync<AggregateException>();
    }

    [Fact]
    public async Task SchedulerCheck_JobsQueuedAndNothingClaimedPastTheThreshold_DegradedUntilAClaim()
    {
        var time = NewTime();
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time)) { FailsPermanently = call => call == nameof(IJobStore.ClaimAsync) };
        await using var host = await CreateHost(store, time).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 });

        // The next heartbeat counts the queued job.
        time.Advance(Heartbeat);
        await Wait.UntilAsync(async () => (await CheckAsync(host)).Entries[SchedulerCheck].Data["queued"] is 1L, "the heartbeat to count the queued job");
        (await CheckAsync(host)).Entries[SchedulerCheck].Status.Should().Be(HealthStatus.Healthy, "the job has been queued for less than a minute");

        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var entry = (await CheckAsync(host)).Entries[SchedulerCheck];
        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().Contain("stuck");
        entry.Data["queued"].Should().Be(1L);
        entry.Data["freeSlots"].Should().Be(4);

        // Once claims work again, the feeder's next try claims the job.
        store.FailsPermanently = null;
        await Wait.UntilAsync(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return (await host.Store.GetAsync(id))?.Status == JobStatus.Completed;
        }, "the job to be claimed and completed");
        (await CheckAsync(host)).Entries[SchedulerCheck].Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public async Task StuckQueueThreshold_IsAnOption()
    {
        var time = NewTime();
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore(time: time)) { FailsPermanently = call => call == nameof(IJobStore.ClaimAsync) };
        await using var host = await CreateHost(store, time, o => o.StuckQueueThreshold = TimeSpan.FromMinutes(10)).StartAsync();
        await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        time.Advance(Heartbeat);
        await Wait.UntilAsync(async () => (await CheckAsync(host)).Entries[SchedulerCheck].Data["queued"] is 1L, "the heartbeat to count the queued job");

        time.Advance(TimeSpan.FromMinutes(2));
        (await CheckAsync(host)).Entries[SchedulerCheck].Status.Should().Be(HealthStatus.Healthy);
        time.Advance(TimeSpan.FromMinutes(9));
        (await CheckAsync(host)).Entries[SchedulerCheck].Status.Should().Be(HealthStatus.Degraded);
    }

    [Theory]
    [InlineData(nameof(JobTrackingHealthCheckOptions.StoreTimeout))]
    [InlineData(nameof(JobTrackingHealthCheckOptions.StuckQueueThreshold))]
    public async Task InvalidOption_RefusedAtStartWithItsName(string option)
    {
        await using var host = CreateHost(health: o =>
        {
            if (option == nameof(JobTrackingHealthCheckOptions.StoreTimeout))
            {
                o.StoreTimeout = TimeSpan.Zero;
            }
            else
            {
                o.StuckQueueThreshold = TimeSpan.FromDays(2);
            }
        });

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain($"JobTracking:HealthChecks:{option} is");
    }

    private static FakeTimeProvider NewTime() => new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    private static TestHost CreateHost(
        FaultInjectingJobStore? store = null,
        FakeTimeProvider? time = null,
        Action<JobTrackingHealthCheckOptions>? health = null,
        Action<JobTrackingBuilder>? configure = null,
        string? name = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null) =>
        TestHost.Create(o => { o.HeartbeatInterval = Heartbeat; o.LeaseDuration = 3 * Heartbeat; }, store: store, time: time ?? NewTime(), configure: b =>
        {
            b.Services.AddHealthChecks().AddJobTracking(health, name, failureStatus, tags);
            configure?.Invoke(b);
        });

    private static Task<HealthReport> CheckAsync(TestHost host) =>
        host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

    private static Task WaitForStatusAsync(TestHost host, string check, HealthStatus status) =>
        Wait.UntilAsync(async () => (await CheckAsync(host)).Entries[check].Status == status, $"{check} to be {status}");

    /// <summary>A logger that throws when one category logs an error.</summary>
    private sealed class ThrowingErrorLoggerProvider(string category) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName == category);

        public void Dispose()
        {
        }

        private sealed class Logger(bool throws) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => throws && logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    throw new InvalidOperationException("The logger failed.");
                }
            }
        }
    }
}
