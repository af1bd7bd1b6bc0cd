using System.Collections.Concurrent;
using JobTracking.Testing;

namespace JobTracking.Tests;

/// <summary>Bulk start through <see cref="IJobRunner.StartManyAsync{TParameters}"/>: every job or none, queued in the order given.</summary>
public sealed class StartManyTests
{
    [Fact]
    public async Task StartManyAsync_TenThousandJobsInOneCall_AllComplete()
    {
        const int jobs = 10_000;
        await using var host = await TestHost.Create().StartAsync();
        var items = Enumerable.Range(0, jobs).Select(i => new StepParameters { Steps = 1 + (i % 2) }).ToList();

        var ids = await host.Runner.Job<StepJob>().StartManyAsync(items);

        ids.Should().HaveCount(jobs).And.OnlyHaveUniqueItems();
        await Wait.UntilAsync(async () => await CountAsync(host, JobStatus.Completed) == jobs, "every job of the batch Completed");
        (await CountAsync(host)).Should().Be(jobs, "nothing but the batch was stored");
        host.Probe.For(ids[0]).Executed.Should().Equal(0);
        host.Probe.For(ids[1]).Executed.Should().Equal(0, 1);
        var last = await host.Tracker.GetAsync(ids[^1]);
        (last.TypeName, last.DisplayName, last.Version > 1).Should().Be((nameof(StepJob), "Step job", true));
    }

    [Fact]
    public async Task StartManyAsync_OneBadItemAmongAThousand_NamesItsIndexAndFieldAndStoresNothing()
    {
        await using var host = await TestHost.Create().StartAsync();
        var items = Enumerable.Range(0, 1_000).Select(i => new StepParameters { Steps = i == 637 ? -5 : 1 }).ToList();

        var error = (await host.Runner.Invoking(r => r.Job<StepJob>().StartManyAsync(items).AsTask())
            .Should().ThrowAsync<JobParametersException>()).Which;

        error.Message.Should().Contain("item 637: Steps:").And.Contain("1 of 1000 items").And.Contain(nameof(StepJob));
        error.Errors.Should().ContainSingle().Which.Field.Should().Be("[637].Steps");
        error.TypeName.Should().Be(nameof(StepJob));
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().BeEmpty();
        (await host.Tracker.CountAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task StartManyAsync_SeveralBadItems_NamesEachWithTheDefinitionsOwnChecks()
    {
        await using var host = TestHost.Create();
        StepParameters[] items =
        [
            new() { Steps = 2 },
            new() { Steps = 2, FailAt = 5 },
            new() { Steps = 2 },
            new() { Steps = 2_000_000 },
        ];

        var error = (await host.Runner.Invoking(r => r.Job<StepJob>().StartManyAsync(items).AsTask())
            .Should().ThrowAsync<JobParametersException>()).Which;

        error.Message.Should().Contain("2 of 4 items").And.Contain("item 1: FailAt: must be below Steps (2).").And.Contain("item 3: Steps:");
        error.Errors.Select(e => e.Field).Should().Equal("[1].FailAt", "[3].Steps");
        (await host.Tracker.CountAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task StartManyAsync_NullListOrNullItem_ThrowsNamingItAndStoresNothing()
    {
        await using var host = TestHost.Create();

        (await host.Runner.Invoking(r => r.StartManyAsync(nameof(StepJob), (IReadOnlyList<StepParameters>)null!).AsTask())
            .Should().ThrowAsync<ArgumentNullException>()).Which.ParamName.Should().Be("parameters");
        (await host.Runner.Invoking(r => r.StartManyAsync<StepParameters?>(nameof(StepJob), [new StepParameters(), null, new StepParameters()]).AsTask())
            .Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("Item 1 of the parameters is null");
        (await host.Tracker.CountAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task StartManyAsync_EmptyList_ReturnsNoIdsAndCallsNoStore()
    {
        var store = new CountingJobStore(TestHost.CreateMemoryStore());
        await using var host = TestHost.Create(store: store);

        var ids = await host.Runner.Job<StepJob>().StartManyAsync(Array.Empty<StepParameters>());

        ids.Should().BeEmpty();
        store.Calls.Should().NotContainKey(nameof(IJobStore.CreateManyAsync)).And.NotContainKey(nameof(IJobStore.CreateAsync));
    }

    [Fact]
    public async Task StartManyAsync_MoreThanTheMaximum_IsRefusedBeforeAnyValidation()
    {
        await using var host = TestHost.Create();
        var items = new StepParameters[JobStartOptions.MaxBatchCount + 1];
        Array.Fill(items, new StepParameters { Steps = -1 });

        (await host.Runner.Invoking(r => r.Job<StepJob>().StartManyAsync(items).AsTask())
            .Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("at most 100,000 jobs").And.Contain("100,001");
        (await host.Tracker.CountAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task StartManyAsync_OneStoreCall_ReturnsIdsInInputOrderAndQueuesInThatOrder()
    {
        var store = new CountingJobStore(TestHost.CreateMemoryStore());
        await using var host = TestHost.Create(o => o.MaxConcurrency = 1, store: store);
        var items = Enumerable.Range(1, 30).Select(i => new StepParameters { Steps = i }).ToList();

        var ids = await host.Runner.Job<StepJob>().StartManyAsync(items, new JobStartOptions { DisplayName = "import", LaunchedBy = "ann", Priority = 3 });
        await host.StartAsync();
        var started = new ConcurrentQueue<Guid>();
        using var subscription = host.Events.Subscribe(e =>
        {
            if (e.IsStarted)
            {
                started.Enqueue(e.JobId);
            }
        }, new JobSubscriptionOptions { AfterSequence = 0 });
        await Wait.UntilAsync(() => started.Count == ids.Count, "every job of the batch started");

        store.Calls[nameof(IJobStore.CreateManyAsync)].Should().Be(1);
        store.Calls.Should().NotContainKey(nameof(IJobStore.CreateAsync));
        started.Should().Equal(ids, "one worker claims equal priorities in the order of the batch");
        for (var i = 0; i < ids.Count; i++)
        {
            var job = await host.Tracker.GetAsync(ids[i]);
            job.Parameters.Should().Contain($"\"steps\":{i + 1},");
            (job.DisplayName, job.LaunchedBy, job.Priority).Should().Be(("import", "ann", 3));
        }
    }

    [Fact]
    public async Task StartManyAsync_QueueCannotHoldTheBatch_ThrowsQueueFullAndStoresNothing()
    {
        await using var host = TestHost.Create(o => o.QueueCapacity = 10);
        await host.StartStepJobAsync(new StepParameters());
        var items = Enumerable.Range(0, 10).Select(_ => new StepParameters()).ToList();

        await host.Runner.Invoking(r => r.Job<StepJob>().StartManyAsync(items).AsTask()).Should().ThrowAsync<JobQueueFullException>();

        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().ContainSingle();
        (await host.Runner.Job<StepJob>().StartManyAsync(items.Take(9).ToList())).Should().HaveCount(9, "the nine slots left still take a batch that fits");
    }

    [Fact]
    public async Task StartManyAsync_InvalidOptions_AreRefusedAndNothingIsStored()
    {
        await using var host = TestHost.Create();
        StepParameters[] items = [new(), new()];

        await host.Runner.Invoking(r => r.Job<StepJob>().StartManyAsync(items, new JobStartOptions { Priority = 5_000 }).AsTask())
            .Should().ThrowAsync<ArgumentOutOfRangeException>().WithMessage("*Priority*");
        await host.Runner.Invoking(r => r.StartManyAsync("NoSuchJob", items).AsTask()).Should().ThrowAsync<UnknownJobTypeException>();
        (await host.Tracker.CountAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task StartManyAsync_StoreFailure_PermanentStoresNothing_TransientIsRetriedAndStoresEachJobOnce()
    {
        var store = new FaultInjectingJobStore(TestHost.CreateMemoryStore()) { FailsPermanently = name => name == nameof(IJobStore.CreateManyAsync) };
        await using var host = TestHost.Create(store: store);
        StepParameters[] items = [new(), new(), new()];

        await host.Runner.Invoking(r => r.Job<StepJob>().StartManyAsync(items).AsTask()).Should().ThrowAsync<InjectedStoreFaultException>();
        (await host.Tracker.CountAsync()).Should().BeEmpty();

        store.FailsPermanently = null;
        store.TransientFailureRate = 1;
        var retried = host.Runner.Job<StepJob>().StartManyAsync(items).AsTask();
        await Wait.UntilAsync(() => store.InjectedFaults >= 1, "a failed try");
        store.TransientFailureRate = 0;
        await Wait.UntilAsync(() =>
        {
            host.Time.Advance(TimeSpan.FromSeconds(1)); // the retry's pause runs on the host's clock
            return retried.IsCompleted;
        }, "the retried batch stored");
        var ids = await retried;

        ids.Should().HaveCount(3);
        (await CountAsync(host)).Should().Be(3);
    }

    [Fact]
    public async Task StartManyAsync_EachJobIsOneCreatedEvent()
    {
        await using var host = TestHost.Create();
        var created = new ConcurrentQueue<Guid>();
        using var subscription = host.Events.Subscribe(e =>
        {
            if (e.Kind == JobEventKind.Created)
            {
                created.Enqueue(e.JobId);
            }
        }, new JobSubscriptionOptions { AfterSequence = 0 });

        var ids = await host.Runner.Job<StepJob>().StartManyAsync(Enumerable.Range(0, 500).Select(_ => new StepParameters()).ToList());

        await Wait.UntilAsync(() => created.Count >= ids.Count, "a Created event for every job");
        created.Should().Equal(ids);
    }

    private static async Task<long> CountAsync(TestHost host, JobStatus? status = null) =>
        (await host.Tracker.CountAsync()).Where(c => status is null || c.Status == status).Sum(c => c.Count);
}
