using System.Collections.Concurrent;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.TestSupport;

/// <summary>
/// Writes whose answer is lost after the store applied them (<see cref="LostAcknowledgementStore"/>): the engine retries
/// them, and the caller of <see cref="IJobRunner"/> is told what was stored, each job is stored and run once, a stored
/// batch is claimed without another start, and nothing waits for ever. Each store's test class derives from this one.
/// </summary>
public abstract class LostAcknowledgementTests : IAsyncDisposable
{
    private readonly HeldJobs _held = new();
    private readonly CancellationTokenSource _stopPump = new();
    private IHost? _host;
    private IJobStore? _inner;

    private IJobRunner Runner => _host!.Services.GetRequiredService<IJobRunner>();

    private IJobTracker Tracker => _host!.Services.GetRequiredService<IJobTracker>();

    [Fact]
    public async Task StartAsync_AnswerLost_ReturnsTheStoredJob_WhichRunsOnce()
    {
        var store = await StartHostAsync();

        store.LoseNext(StoreWrites.Create);
        var id = await Runner.StartAsync(nameof(HeldJob), new HeldParameters());
        store.LoseNext(StoreWrites.Create);
        var draft = await Runner.CreateDraftAsync(nameof(HeldJob), new HeldParameters());

        store.Lost.Should().Be(2);
        await WaitAsync(id, JobStatus.Completed);
        (await Tracker.GetAsync(draft)).Should().Match<JobRecord>(j => j.Status == JobStatus.Editing && j.Version == 1);
        (await AllJobIdsAsync()).Should().BeEquivalentTo([id, draft]);
        _held.Executions(id).Should().Be(1);
    }

    [Fact]
    public async Task StartManyAsync_AnswerLost_ReturnsTheStoredBatch_WhichIsClaimedWithoutAnotherStart()
    {
        var store = await StartHostAsync();

        store.LoseNext(StoreWrites.CreateMany);
        var ids = await Runner.StartManyAsync(nameof(HeldJob), Enumerable.Range(0, 20).Select(_ => new HeldParameters()).ToList());

        store.Lost.Should().Be(1);
        foreach (var id in ids)
        {
            await WaitAsync(id, JobStatus.Completed); // nothing else is started: the batch's own start wakes the scheduler
            _held.Executions(id).Should().Be(1);
        }

        (await AllJobIdsAsync()).Should().BeEquivalentTo(ids);
    }

    [Fact]
    public async Task PauseResumeAndCancel_OfARunningJob_AnswerLost_AreToldTheMoveWasStored()
    {
        var store = await StartHostAsync();
        var paused = await Runner.StartAsync(nameof(HeldJob), new HeldParameters { Hold = true });
        var cancelled = await Runner.StartAsync(nameof(HeldJob), new HeldParameters { Hold = true });
        await _held.WaitUntilHeldAsync(paused);
        await _held.WaitUntilHeldAsync(cancelled);

        // The cancelled job ends at once (its token fires), so the retry finds it moved on: the feed says how.
        store.LoseNext(StoreWrites.Command);
        await Runner.CancelAsync(cancelled);
        store.LoseNext(StoreWrites.Command);
        await Runner.PauseAsync(paused);
        _held.Release(paused);
        (await WaitAsync(cancelled, JobStatus.Cancelled)).Version.Should().Be(4, "claimed, cancelling, cancelled: each move stored once");
        (await WaitAsync(paused, JobStatus.Paused)).Version.Should().Be(4, "claimed, pausing, paused");

        store.LoseNext(StoreWrites.Command);
        await Runner.ResumeAsync(paused);
        await _held.WaitUntilHeldAsync(paused);
        _held.Release(paused);

        (await WaitAsync(paused, JobStatus.Completed)).Version.Should().Be(7, "queued, running, completed after the resume");
        store.Lost.Should().Be(3);
        _held.Executions(paused).Should().Be(2);
        _held.Executions(cancelled).Should().Be(1);
    }

    [Fact]
    public async Task Cancel_AnswerLostUntilTheJobEndedCancelled_IsToldTheMoveWasStored_FromTheChangeFeed()
    {
        var store = await StartHostAsync();
        var id = await Runner.StartAsync(nameof(HeldJob), new HeldParameters { Hold = true });
        await _held.WaitUntilHeldAsync(id);

        // The answer is lost only once the run has stored Cancelled: the retry finds the job two moves on, and only the
        // feed says the first of them was the cancel's own.
        store.BeforeLosing = () => Wait.UntilAsync(async () => (await store.Inner.GetAsync(id))!.Status == JobStatus.Cancelled, "the job to end Cancelled");
        store.LoseNext(StoreWrites.Command);
        await Runner.CancelAsync(id);

        var job = await Tracker.GetAsync(id);
        (job.Status, job.Version).Should().Be((JobStatus.Cancelled, 4L), "claimed, cancelling, cancelled: each move stored once");
        store.Lost.Should().Be(1);
    }

    [Fact]
    public async Task Commands_OnQueuedJobsAndDrafts_AnswerLost_AreToldTheMoveWasStored_EachMoveOnce()
    {
        var store = await StartHostAsync();
        var holder = await Runner.StartAsync(nameof(HeldJob), new HeldParameters { Hold = true }, new JobStartOptions { ConcurrencyKey = "profile" });
        await _held.WaitUntilHeldAsync(holder);
        var queued = await Runner.StartAsync(nameof(HeldJob), new HeldParameters(), new JobStartOptions { ConcurrencyKey = "profile" });
        var discarded = await Runner.CreateDraftAsync(nameof(HeldJob), new HeldParameters());
        var draft = await Runner.CreateDraftAsync(nameof(HeldJob), new HeldParameters());

        store.LoseNext(StoreWrites.Command);
        await Runner.PauseAsync(queued);
        (await Tracker.GetAsync(queued)).Should().Match<JobRecord>(j => j.Status == JobStatus.Paused && j.Version == 2);
        store.LoseNext(StoreWrites.Command);
        await Runner.ResumeAsync(queued);
        (await Tracker.GetAsync(queued)).Should().Match<JobRecord>(j => j.Status == JobStatus.Queued && j.Version == 3);

        store.LoseNext(StoreWrites.Command);
        await Runner.CancelAsync(discarded);
        (await Tracker.GetAsync(discarded)).Should().Match<JobRecord>(j => j.Status == JobStatus.Cancelled && j.Version == 2);

        store.LoseNext(StoreWrites.DraftEdit);
        await Runner.UpdateDraftAsync(draft, new HeldParameters { FailOnAttempt = 2 }, "edited once");
        (await Tracker.GetAsync(draft)).Should().Match<JobRecord>(j => j.Status == JobStatus.Editing && j.Version == 2 && j.DisplayName == "edited once");
        store.LoseNext(StoreWrites.Command);
        await Runner.SubmitAsync(draft);

        _held.Release(holder);
        (await WaitAsync(draft, JobStatus.Completed)).Version.Should().Be(5, "edited, submitted, running, completed");
        (await WaitAsync(queued, JobStatus.Completed)).Version.Should().Be(5, "paused, queued, running, completed");
        store.Lost.Should().Be(5);
    }

    [Fact]
    public async Task Restart_AnswerLost_IsToldItWasStored_AndStartsOneAttempt()
    {
        var store = await StartHostAsync();
        var id = await Runner.StartAsync(nameof(HeldJob), new HeldParameters { FailOnAttempt = 1 });
        await WaitAsync(id, JobStatus.Failed);

        store.LoseNext(StoreWrites.Command);
        await Runner.RestartAsync(id);

        var done = await WaitAsync(id, JobStatus.Completed);
        done.Attempt.Should().Be(2, "the restart was stored once");
        done.Attempts.Should().HaveCount(2);
        _held.Executions(id).Should().Be(2);
        store.Lost.Should().Be(1);
    }

    [Fact]
    public async Task CallerWrites_AnswersLostAtRandom_CallersAreToldTheTruth_AndEachJobIsStoredAndRunOnce()
    {
        var store = await StartHostAsync(seed: 20);
        store.LoseAtRandom(StoreWrites.CallerWrites, 0.1);

        await StartAndCommandJobsAsync();

        store.Lost.Should().BeGreaterThan(0, "about one answer in ten was lost");
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(); // with the clock still moving: the grace period for held jobs runs on it
            _host.Dispose();
        }

        await _stopPump.CancelAsync();

        switch (_inner)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }

        await DisposeStoreAsync();
        _stopPump.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Creates the store under test, empty, reading <paramref name="time"/> for its leases (a server's store may keep its own clock).</summary>
    protected abstract ValueTask<IJobStore> CreateStoreAsync(TimeProvider time);

    /// <summary>Deletes what the store kept (a file, a schema) once the host and the store are disposed.</summary>
    protected virtual ValueTask DisposeStoreAsync() => ValueTask.CompletedTask;

    /// <summary>Gets whether the host runs on a fake clock that the test moves on (for a store judging leases by a server's clock, the system clock).</summary>
    protected virtual bool UsesFakeClock => true;

    /// <summary>
    /// Starts 60 jobs one by one and 60 in six batches, makes 20 drafts (each edited, then submitted), and starts and
    /// cancels 20 jobs while they run; then checks that every call returned as if nothing had failed, every job ended
    /// as asked with each of its moves stored once, and the store holds exactly the jobs the callers were told of.
    /// </summary>
    protected async Task StartAndCommandJobsAsync()
    {
        var started = new List<Guid>();
        for (var i = 0; i < 60; i++)
        {
            started.Add(await Runner.StartAsync(nameof(HeldJob), new HeldParameters()));
        }

        for (var i = 0; i < 6; i++)
        {
            started.AddRange(await Runner.StartManyAsync(nameof(HeldJob), Enumerable.Range(0, 10).Select(_ => new HeldParameters()).ToList()));
        }

        var drafts = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            var draft = await Runner.CreateDraftAsync(nameof(HeldJob), new HeldParameters());
            await Runner.UpdateDraftAsync(draft, new HeldParameters(), $"draft {i}");
            await Runner.SubmitAsync(draft);
            drafts.Add(draft);
        }

        var cancelled = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            var id = await Runner.StartAsync(nameof(HeldJob), new HeldParameters { Hold = true });
            await _held.WaitUntilHeldAsync(id);
            await Runner.CancelAsync(id);
            cancelled.Add(id);
        }

        foreach (var id in started.Concat(drafts))
        {
            await WaitAsync(id, JobStatus.Completed);
            _held.Executions(id).Should().Be(1);
        }

        foreach (var id in cancelled)
        {
            (await WaitAsync(id, JobStatus.Cancelled)).Version.Should().Be(4, "claimed, cancelling, cancelled");
        }

        foreach (var id in drafts)
        {
            (await Tracker.GetAsync(id)).Version.Should().Be(5, "edited, submitted, running, completed: each once");
        }

        (await AllJobIdsAsync()).Should().BeEquivalentTo(started.Concat(drafts).Concat(cancelled), "each job the callers were told of is stored, once");
    }

    /// <summary>Starts a host with the held job on the store from <see cref="CreateStoreAsync"/>, behind a <see cref="LostAcknowledgementStore"/> that loses nothing until told.</summary>
    protected async Task<LostAcknowledgementStore> StartHostAsync(int seed = 1)
    {
        var time = TimeProvider.System;
        if (UsesFakeClock)
        {
            var fake = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
            Pump(fake, _stopPump.Token);
            time = fake;
        }

        _inner = await CreateStoreAsync(time);
        var store = new LostAcknowledgementStore(_inner, seed);
        _host = new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton(_held);
                services.AddSingleton(time);
                services.AddJobTracking(b =>
                {
                    b.AddJob<HeldJob>().UseStore(store);
                    b.Configure(o =>
                    {
                        o.MaxConcurrency = 4;
                        o.NodeName = "lost-acknowledgements";
                        o.TransientRetryDelay = TimeSpan.FromMilliseconds(1);
                        o.TransientRetryMaxDelay = TimeSpan.FromMilliseconds(20);
                        o.TransientRetryCount = 20;
                        o.ShutdownGracePeriod = TimeSpan.FromMilliseconds(100); // a job still held when a test fails is stopped at once
                    });
                });
            })
            .Build();
        await _host.StartAsync();
        return store;
    }

    // Retries wait on the engine's clock: move it on about as fast as real time, so leases last as long as they would.
    private static void Pump(FakeTimeProvider time, CancellationToken stop) =>
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                time.Advance(TimeSpan.FromMilliseconds(1));
                await Task.Delay(1, CancellationToken.None);
            }
        });

    private async Task<JobRecord> WaitAsync(Guid id, JobStatus status)
    {
        using var timeout = new CancellationTokenSource(Wait.DefaultTimeout);
        try
        {
            return await Runner.WaitForStatusAsync(id, [status], timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            var job = await Tracker.GetAsync(id);
            throw new TimeoutException($"Waited {Wait.DefaultTimeout.TotalSeconds:0} s for job {id} to be {status}, in vain; it is {job.Status} at version {job.Version}.");
        }
    }

    private async Task<List<Guid>> AllJobIdsAsync()
    {
        var ids = new List<Guid>();
        var query = new JobQuery { PageSize = JobQuery.MaxPageSize };
        while (true)
        {
            var page = await Tracker.ListAsync(query);
            ids.AddRange(page.Items.Select(j => j.Id));
            if (page.NextPageToken is null)
            {
                return ids;
            }

            query = query with { PageToken = page.NextPageToken };
        }
    }
}

/// <summary>The parameters of <see cref="HeldJob"/>.</summary>
public sealed record HeldParameters
{
    /// <summary>Gets whether each run waits, before its safe point, until the test releases it (or its token fires).</summary>
    public bool Hold { get; init; }

    /// <summary>Gets the attempt that fails (0: none).</summary>
    public int FailOnAttempt { get; init; }
}

/// <summary>Counts the runs of each <see cref="HeldJob"/>, and holds and releases them.</summary>
public sealed class HeldJobs
{
    private readonly ConcurrentDictionary<Guid, int> _executions = new();
    private readonly ConcurrentDictionary<Guid, (SemaphoreSlim Entered, SemaphoreSlim Released)> _gates = new();

    public int Executions(Guid id) => _executions.GetValueOrDefault(id);

    public void Ran(Guid id) => _executions.AddOrUpdate(id, 1, (_, n) => n + 1);

    public async Task HoldAsync(Guid id, CancellationToken cancellationToken)
    {
        var gate = Gate(id);
        gate.Entered.Release();
        await gate.Released.WaitAsync(cancellationToken);
    }

    /// <summary>Waits until a run of the job is held (each call waits for one more hold).</summary>
    public async Task WaitUntilHeldAsync(Guid id)
    {
        if (!await Gate(id).Entered.WaitAsync(Wait.DefaultTimeout))
        {
            throw new TimeoutException($"Waited {Wait.DefaultTimeout.TotalSeconds:0} s for job {id} to run, in vain.");
        }
    }

    public void Release(Guid id) => Gate(id).Released.Release();

    private (SemaphoreSlim Entered, SemaphoreSlim Released) Gate(Guid id) => _gates.GetOrAdd(id, _ => (new SemaphoreSlim(0), new SemaphoreSlim(0)));
}

/// <summary>A job of one step that may fail on a given attempt, or wait to be released, before its safe point.</summary>
public sealed class HeldJob(HeldJobs held) : JobDefinition<HeldParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<HeldParameters> context)
    {
        held.Ran(context.JobId);
        if (context.Attempt == context.Parameters.FailOnAttempt)
        {
            throw new InvalidOperationException($"Attempt {context.Attempt} fails, as asked.");
        }

        if (context.Parameters.Hold)
        {
            await held.HoldAsync(context.JobId, context.CancellationToken);
        }

        await context.SafePointAsync();
    }
}
