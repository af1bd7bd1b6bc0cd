using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Tests;

/// <summary>Recurring schedules, fired by the hosts' schedule loops on a fake clock.</summary>
public sealed class ScheduleTests
{
    private static readonly StepParameters Quick = new() { Steps = 0 };
    private static readonly JobScheduleOptions Queue = new() { Overlap = JobScheduleOverlap.Queue };

    public static TheoryData<string, string, string, string, string, string[]> DstDays => new()
    {
        // Interval expressions fire in every hour that exists: in UTC, an unbroken series, 23 hours on spring-forward day, 25 on fall-back day.
        { "Europe/Paris", "*/30 * * * *", "2026-03-28T22:50:00Z", "2026-03-29T22:00:00Z", "2026-03-28T23:00:00Z", Every("2026-03-28T23:00:00Z", 46, 30) },
        { "Europe/Paris", "*/30 * * * *", "2026-10-24T21:50:00Z", "2026-10-25T23:00:00Z", "2026-10-24T22:00:00Z", Every("2026-10-24T22:00:00Z", 50, 30) },
        { "America/New_York", "0 * * * *", "2026-03-08T04:50:00Z", "2026-03-09T04:00:00Z", "2026-03-08T05:00:00Z", Every("2026-03-08T05:00:00Z", 23, 60) },
        { "America/New_York", "0 * * * *", "2026-11-01T03:50:00Z", "2026-11-02T05:00:00Z", "2026-11-01T04:00:00Z", Every("2026-11-01T04:00:00Z", 25, 60) },

        // Fixed-time expressions: 02:30 that spring-forward skips runs at 03:00; 02:30 (Paris) or 01:30 (New York) that fall-back repeats runs once, in its first hour.
        { "Europe/Paris", "30 2 * * *", "2026-03-27T12:00:00Z", "2026-03-30T12:00:00Z", "2026-03-28T01:30:00Z", ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"] },
        { "Europe/Paris", "30 2 * * *", "2026-10-23T12:00:00Z", "2026-10-26T12:00:00Z", "2026-10-24T00:30:00Z", ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"] },
        { "America/New_York", "30 2 * * *", "2026-03-06T12:00:00Z", "2026-03-09T12:00:00Z", "2026-03-07T07:30:00Z", ["2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"] },
        { "America/New_York", "30 1 * * *", "2026-10-30T12:00:00Z", "2026-11-02T12:00:00Z", "2026-10-31T05:30:00Z", ["2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"] },
    };

    [Theory]
    [MemberData(nameof(DstDays))]
    public async Task Schedule_AcrossDaylightSavingDays_FiresAtTheExactUtcOccurrences(string zone, string cron, string from, string until, string first, string[] expected)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse(from, CultureInfo.InvariantCulture));
        await using var host = await TestHost.Create(time: time).StartAsync();
        var schedules = Schedules(host);

        var info = await schedules.Schedule<StepJob>().SetAsync("dst", Quick, cron, Queue with { TimeZone = zone });
        info.NextOccurrence.Should().Be(DateTimeOffset.Parse(first, CultureInfo.InvariantCulture));
        var fired = await FireUntilAsync(host, "dst", DateTimeOffset.Parse(until, CultureInfo.InvariantCulture));

        fired.Select(f => f.Occurrence).Should().Equal(expected.Select(e => DateTimeOffset.Parse(e, CultureInfo.InvariantCulture)));
        fired.Select(f => f.JobId).Should().OnlyHaveUniqueItems("each occurrence started a job of its own");
        foreach (var (occurrence, jobId) in fired)
        {
            var job = await host.Store.GetAsync(jobId);
            job!.IdempotencyKey.Should().Be($"schedule:dst@{occurrence.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ}");
            job.LaunchedBy.Should().Be("schedule:dst");
        }
    }

    [Theory]
    [InlineData(JobScheduleMisfire.RunOnce)]
    [InlineData(JobScheduleMisfire.Skip)]
    public async Task Schedule_HostDownTenMinutes_MissedOccurrencesFollowTheMisfireRule(JobScheduleMisfire misfire)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 9, 0, 30, TimeSpan.Zero));
        var memory = TestHost.CreateMemoryStore(time: time);
        var first = await TestHost.Create(store: memory, time: time).StartAsync();
        await Schedules(first).Schedule<StepJob>().SetAsync("minutely", Quick, "* * * * *", Queue with { Misfire = misfire });
        var fired = await FireUntilAsync(first, "minutely", At(9, 1, 30));
        fired.Select(f => f.Occurrence).Should().Equal(At(9, 1));
        await first.DisposeAsync();

        time.Advance(TimeSpan.FromMinutes(10)); // down from 09:01:30 to 09:11:30: 09:02 to 09:11 are missed
        await using var second = await TestHost.Create(store: memory, time: time).StartAsync();
        await Wait.UntilAsync(async () => (await memory.GetScheduleAsync("minutely"))!.LastOccurrence == At(9, 11), "the missed occurrences dealt with");
        var afterDowntime = await JobsOf(second, "minutely");
        if (misfire == JobScheduleMisfire.RunOnce)
        {
            afterDowntime.Select(j => j.IdempotencyKey).Should().BeEquivalentTo([Key("minutely", At(9, 1)), Key("minutely", At(9, 11))], "one job for the latest missed occurrence");
        }
        else
        {
            afterDowntime.Select(j => j.IdempotencyKey).Should().BeEquivalentTo([Key("minutely", At(9, 1))], "missed occurrences start nothing");
        }

        (await memory.GetScheduleAsync("minutely"))!.NextOccurrence.Should().Be(At(9, 12));
        await FireUntilAsync(second, "minutely", At(9, 12, 30));
        (await JobsOf(second, "minutely")).Should().HaveCount(misfire == JobScheduleMisfire.RunOnce ? 3 : 2, "the next occurrence on time starts its job");
    }

    [Theory]
    [InlineData(JobScheduleOverlap.Skip)]
    [InlineData(JobScheduleOverlap.Queue)]
    public async Task Schedule_PreviousJobUnfinished_FollowsTheOverlapRule(JobScheduleOverlap overlap)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 9, 0, 30, TimeSpan.Zero));
        await using var host = await TestHost.Create(time: time).StartAsync();
        await Schedules(host).Schedule<StepJob>().SetAsync("blocking", new StepParameters { Steps = 1, Blocking = true }, "* * * * *", new() { Overlap = overlap });

        var fired = await FireUntilAsync(host, "blocking", At(9, 1, 30));
        var firstJob = fired.Single().JobId;
        await host.Probe.For(firstJob).WaitForStepAsync(0);
        await FireUntilAsync(host, "blocking", At(9, 2, 30));

        var schedule = await Schedules(host).GetAsync("blocking");
        schedule!.LastOccurrence.Should().Be(At(9, 2), "the occurrence is dealt with either way");
        var jobs = await JobsOf(host, "blocking");
        if (overlap == JobScheduleOverlap.Skip)
        {
            jobs.Select(j => j.Id).Should().Equal(firstJob);
            schedule.LastJobId.Should().Be(firstJob);
            schedule.LastJobStatus.Should().Be(JobStatus.Running);
        }
        else
        {
            jobs.Should().HaveCount(2);
            schedule.LastJobId.Should().NotBe(firstJob);
            schedule.LastJobStatus.Should().BeOneOf(JobStatus.Queued, JobStatus.Running);
            host.Probe.For(schedule.LastJobId!.Value).Release();
            await host.WaitAsync(schedule.LastJobId.Value, JobStatus.Completed);
        }

        host.Probe.For(firstJob).Release();
        await host.WaitAsync(firstJob, JobStatus.Completed);
    }

    [Fact]
    public async Task Schedule_TwoHostsShareAStore_EverySecondForAMinute_EveryOccurrenceStartsExactlyOneJob()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 9, 0, 0, 500, TimeSpan.Zero));
        var memory = TestHost.CreateMemoryStore(time: time);
        void Options(JobTrackingOptions o) => o.SchedulePollInterval = TimeSpan.FromMinutes(1); // nothing counts as missed while the hosts keep up
        await using var hostA = await TestHost.Create(Options, store: memory, time: time).StartAsync();
        await using var hostB = await TestHost.Create(Options, store: memory, time: time).StartAsync();
        await Schedules(hostA).Schedule<StepJob>().SetAsync("every-second", Quick, "* * * * * *", Queue);

        var last = At(9, 1);
        await Wait.UntilAsync(
            async () =>
            {
                time.Advance(TimeSpan.FromMilliseconds(100));
                return (await memory.GetScheduleAsync("every-second"))!.LastOccurrence >= last;
            },
            "a minute of occurrences",
            TimeSpan.FromMinutes(2));
        await hostA.StopAsync();
        await hostB.StopAsync();

        var jobs = await JobsOf(hostA, "every-second");
        var expected = Enumerable.Range(1, 60).Select(s => Key("every-second", At(9, 0) + TimeSpan.FromSeconds(s)));
        jobs.Select(j => j.IdempotencyKey).Should().BeEquivalentTo(expected, "each second of the minute started exactly one job, whichever host fired it");
    }

    [Fact]
    public async Task AddSchedule_AcrossRestarts_WritesOnlyWhatChanged_KeepingTheLastOccurrence()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 9, 0, 30, TimeSpan.Zero));
        var memory = TestHost.CreateMemoryStore(time: time);
        Action<JobTrackingBuilder> Declare(string cron, string? name = null) =>
            b => b.AddSchedule<StepJob>("declared", Quick, cron, Queue with { DisplayName = name });

        var first = await TestHost.Create(store: memory, time: time, configure: Declare("* * * * *")).StartAsync();
        var created = await memory.GetScheduleAsync("declared");
        created!.Version.Should().Be(1);
        await FireUntilAsync(first, "declared", At(9, 1, 30));
        var fired = await memory.GetScheduleAsync("declared");
        await first.DisposeAsync();

        await using (var same = await TestHost.Create(store: memory, time: time, configure: Declare("* * * * *")).StartAsync())
        {
            (await memory.GetScheduleAsync("declared")).Should().Be(fired, "an unchanged declaration writes nothing");
        }

        await using var changed = await TestHost.Create(store: memory, time: time, configure: Declare("*/5 * * * *", "Import")).StartAsync();
        var updated = await memory.GetScheduleAsync("declared");
        updated!.Version.Should().Be(fired!.Version + 1);
        updated.Cron.Should().Be("*/5 * * * *");
        updated.DisplayName.Should().Be("Import");
        updated.LastOccurrence.Should().Be(At(9, 1));
        updated.LastJobId.Should().Be(fired.LastJobId);
        updated.CreatedAt.Should().Be(created.CreatedAt);
        updated.NextOccurrence.Should().Be(At(9, 5), "a changed expression counts from now");
    }

    [Fact]
    public async Task Commands_PauseResumeTriggerDelete_DoWhatTheySay()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 9, 0, 30, TimeSpan.Zero));
        await using var host = await TestHost.Create(time: time).StartAsync();
        var schedules = Schedules(host);
        await schedules.Schedule<StepJob>().SetAsync("daily", Quick, "0 2 * * *", Queue with { Misfire = JobScheduleMisfire.Skip });

        await schedules.PauseAsync("daily");
        (await schedules.GetAsync("daily"))!.IsPaused.Should().BeTrue();
        var paused = await ((IJobScheduleStore)host.Store).GetScheduleAsync("daily");
        await schedules.PauseAsync("daily");
        (await ((IJobScheduleStore)host.Store).GetScheduleAsync("daily")).Should().Be(paused, "pausing a paused schedule writes nothing");

        // Paused over its occurrence: nothing starts; resumed later, the occurrence is a missed one (Skip: nothing).
        time.Advance(TimeSpan.FromDays(1));
        await schedules.ResumeAsync("daily");
        await Wait.UntilAsync(async () => (await schedules.GetAsync("daily"))!.LastOccurrence == new DateTimeOffset(2026, 6, 2, 2, 0, 0, TimeSpan.Zero), "the missed occurrence dealt with");
        (await JobsOf(host, "daily")).Should().BeEmpty();

        var triggered = await schedules.TriggerAsync("daily");
        var info = await schedules.GetAsync("daily");
        info!.LastJobId.Should().Be(triggered);
        info.NextOccurrence.Should().Be(new DateTimeOffset(2026, 6, 3, 2, 0, 0, TimeSpan.Zero), "a trigger is not an occurrence");
        (await host.WaitAsync(triggered, JobStatus.Completed)).IdempotencyKey.Should().BeNull();
        (await schedules.GetAsync("daily"))!.LastJobStatus.Should().Be(JobStatus.Completed);

        await schedules.DeleteAsync("daily");
        (await schedules.GetAsync("daily")).Should().BeNull();
        (await schedules.ListAsync()).Should().BeEmpty();
        (await host.Store.GetAsync(triggered)).Should().NotBeNull("deleting a schedule keeps its jobs");
    }

    [Fact]
    public async Task Commands_UnknownScheduleId_ThrowNotFound()
    {
        await using var host = await TestHost.Create().StartAsync();
        var schedules = Schedules(host);
        (await FluentActions.Awaiting(() => schedules.PauseAsync("nope").AsTask()).Should().ThrowAsync<JobScheduleNotFoundException>()).Which.ScheduleId.Should().Be("nope");
        await FluentActions.Awaiting(() => schedules.ResumeAsync("nope").AsTask()).Should().ThrowAsync<JobScheduleNotFoundException>();
        await FluentActions.Awaiting(() => schedules.TriggerAsync("nope").AsTask()).Should().ThrowAsync<JobScheduleNotFoundException>();
        await FluentActions.Awaiting(() => schedules.DeleteAsync("nope").AsTask()).Should().ThrowAsync<JobScheduleNotFoundException>().WithMessage("Schedule 'nope' was not found*");
        (await schedules.GetAsync("nope")).Should().BeNull();
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "cron", "The cron expression '0 2 * * * * x' is invalid*Unexpected character*" },
        { "zone", "The time zone 'Mars/Olympus' is unknown*" },
        { "type", "Job type 'NoSuchJob' is not registered*" },
        { "parameters", "*Steps*" },
        { "empty-id", "A schedule id must be 1 to 200 characters*" },
        { "long-id", "A schedule id must be 1 to 200 characters*it has 201*" },
        { "priority", "Priority must be between -1000 and 1000*" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task SetAsync_BadInput_NamesItAndStoresNothing(string bad, string message)
    {
        await using var host = await TestHost.Create().StartAsync();
        var schedules = Schedules(host);
        var id = bad switch { "empty-id" => " ", "long-id" => new string('x', JobScheduleRecord.MaxIdLength + 1), _ => "bad" };
        var cron = bad == "cron" ? "0 2 * * * * x" : "0 2 * * *";
        var options = new JobScheduleOptions { TimeZone = bad == "zone" ? "Mars/Olympus" : "UTC", Priority = bad == "priority" ? 5000 : 0 };
        var parameters = bad == "parameters" ? new StepParameters { Steps = -1 } : Quick;
        var type = bad == "type" ? "NoSuchJob" : nameof(StepJob);

        var error = await FluentActions.Awaiting(() => schedules.SetAsync(id, type, parameters, cron, options).AsTask()).Should().ThrowAsync<Exception>();
        error.Which.Message.Should().Match(message);
        (await ((IJobScheduleStore)host.Store).GetSchedulesAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task SetAsync_InvalidCron_CarriesCronosMessage()
    {
        await using var host = await TestHost.Create().StartAsync();
        var error = await FluentActions.Awaiting(() => Schedules(host).SetAsync("bad", nameof(StepJob), Quick, "61 * * * *").AsTask()).Should().ThrowAsync<ArgumentException>();
        error.Which.InnerException.Should().BeOfType<Cronos.CronFormatException>();
        error.Which.Message.Should().Contain("'61 * * * *' is invalid").And.Contain(error.Which.InnerException!.Message);
    }

    [Fact]
    public async Task Schedules_StoreWithoutSchedules_SayTheStoreKeepsNone()
    {
        await using var host = await TestHost.Create(store: new InterceptingStore(TestHost.CreateMemoryStore())).StartAsync();
        var schedules = Schedules(host);
        await FluentActions.Awaiting(() => schedules.SetAsync("s", nameof(StepJob), Quick, "0 2 * * *").AsTask()).Should().ThrowAsync<JobTrackingException>().WithMessage("*keeps no schedules*IJobScheduleStore*");
        await FluentActions.Awaiting(() => schedules.ListAsync().AsTask()).Should().ThrowAsync<JobTrackingException>().WithMessage("*keeps no schedules*");
        await FluentActions.Awaiting(() => schedules.PauseAsync("s").AsTask()).Should().ThrowAsync<JobTrackingException>().WithMessage("*keeps no schedules*");
    }

    [Fact]
    public async Task AddSchedule_StoreWithoutSchedules_FailsTheStartNamingTheSchedule()
    {
        var host = TestHost.Create(store: new InterceptingStore(TestHost.CreateMemoryStore()), configure: b => b.AddSchedule<StepJob>("nightly", Quick, "0 2 * * *"));
        await using var _ = host;
        await FluentActions.Awaiting(host.StartAsync).Should().ThrowAsync<JobTrackingException>().WithMessage("The schedule 'nightly' declared with AddSchedule could not be applied*keeps no schedules*");
    }

    [Fact]
    public void AddSchedule_BadDeclaration_ThrowsAtRegistration()
    {
        var services = new ServiceCollection();
        services.AddJobTracking(b =>
        {
            FluentActions.Invoking(() => b.AddSchedule<StepJob>("s", "not parameters", "0 2 * * *")).Should().Throw<ArgumentException>().WithMessage("*takes parameters of type*StepParameters*");
            FluentActions.Invoking(() => b.AddSchedule<StepJob>("s", Quick, "not cron")).Should().Throw<ArgumentException>().WithMessage("The cron expression 'not cron' is invalid*");
            FluentActions.Invoking(() => b.AddSchedule<StepJob>("s", Quick, "0 2 * * *", new() { TimeZone = "Nowhere/Else" })).Should().Throw<ArgumentException>().WithMessage("*Nowhere/Else*unknown*");
            b.AddSchedule<StepJob>("s", Quick, "0 2 * * *");
            FluentActions.Invoking(() => b.AddSchedule<StepJob>("s", Quick, "0 3 * * *")).Should().Throw<ArgumentException>().WithMessage("*already declared*");
        });
    }

    [Fact]
    public void Options_SchedulePollIntervalOutOfRange_FailsValidation()
    {
        var result = new Hosting.JobTrackingOptionsValidator().Validate(null, new JobTrackingOptions { SchedulePollInterval = TimeSpan.FromMilliseconds(10) });
        result.Failed.Should().BeTrue();
        result.FailureMessage.Should().Contain("SchedulePollInterval");
    }

    private static IJobSchedules Schedules(TestHost host) => host.Services.GetRequiredService<IJobSchedules>();

    private static DateTimeOffset At(int hour, int minute, int second = 0) => new(2026, 6, 1, hour, minute, second, TimeSpan.Zero);

    private static string Key(string id, DateTimeOffset occurrence) => $"schedule:{id}@{occurrence.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ}";

    private static string[] Every(string first, int count, int minutes) =>
        [.. Enumerable.Range(0, count).Select(i => (DateTimeOffset.Parse(first, CultureInfo.InvariantCulture) + TimeSpan.FromMinutes(i * minutes)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture))];

    private static async Task<IReadOnlyList<JobRecord>> JobsOf(TestHost host, string scheduleId) =>
        (await host.Tracker.ListAsync(new JobQuery { LaunchedBy = $"schedule:{scheduleId}", PageSize = 500 })).Items;

    /// <summary>Moves the clock to each next occurrence before <paramref name="until"/> and waits until the host has dealt with it (a few fake milliseconds later at most).</summary>
    private static async Task<List<(DateTimeOffset Occurrence, Guid JobId)>> FireUntilAsync(TestHost host, string scheduleId, DateTimeOffset until)
    {
        var store = (IJobScheduleStore)host.Store;
        var fired = new List<(DateTimeOffset, Guid)>();
        while ((await store.GetScheduleAsync(scheduleId))!.NextOccurrence is { } next && next < until)
        {
            await Wait.UntilAsync(
                async () =>
                {
                    if (host.Time.GetUtcNow() < next)
                    {
                        host.Time.SetUtcNow(next);
                    }
                    else
                    {
                        host.Time.Advance(TimeSpan.FromMilliseconds(10));
                    }

                    return (await store.GetScheduleAsync(scheduleId))!.LastOccurrence >= next;
                },
                $"the occurrence at {next:O}");
            var schedule = (await store.GetScheduleAsync(scheduleId))!;
            fired.Add((schedule.LastOccurrence!.Value, schedule.LastJobId ?? Guid.Empty));
        }

        if (host.Time.GetUtcNow() < until)
        {
            host.Time.SetUtcNow(until);
        }

        return fired;
    }
}
