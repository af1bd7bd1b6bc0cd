using BenchmarkDotNet.Attributes;
using JobTracking.Running;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobTracking.Benchmarks;

/// <summary>
/// One status transition in memory: a job ping-pongs Running -> Pausing -> Running, each move a compare-and-set on
/// (status, version) with the version it must still have. The baseline is the bare interlocked compare-and-set on a
/// long that the in-memory store's transition is built around.
/// </summary>
[MemoryDiagnoser]
public class TransitionBenchmarks
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private long _word;
    private IJobStore _store = null!;
    private ServiceProvider? _services;
    private JobEngine _engine = null!;
    private readonly List<IJobSubscription> _subscriptions = [];
    private JobRecord _job = null!;
    private long _version;
    private JobStatus _status;

    [GlobalSetup(Target = nameof(Store_TryTransition))]
    public void SetUpStore()
    {
        _store = new InMemoryJobStore();
        CreateRunningJob();
    }

    [GlobalSetup(Target = nameof(Engine_NoSubscriber))]
    public void SetUpEngineWithoutSubscribers() => SetUpEngine(0);

    [GlobalSetup(Target = nameof(Engine_OneSubscriber))]
    public void SetUpEngineWithOneSubscriber() => SetUpEngine(1);

    [GlobalSetup(Target = nameof(Engine_TenSubscribers))]
    public void SetUpEngineWithTenSubscribers() => SetUpEngine(10);

    [GlobalCleanup]
    public void CleanUp()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        _subscriptions.Clear();

        // Asynchronously: some of the engine's singletons only implement IAsyncDisposable.
        _services?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _services = null;
    }

    [Benchmark(Baseline = true, Description = "Interlocked.CompareExchange (long)")]
    public bool InterlockedCompareExchange()
    {
        var current = Volatile.Read(ref _word);
        return Interlocked.CompareExchange(ref _word, current + 1, current) == current;
    }

    [Benchmark(Description = "InMemoryJobStore.TryTransitionAsync")]
    public bool Store_TryTransition()
    {
        var applied = _store.TryTransitionAsync(NextTransition()).Result;
        return Moved(applied);
    }

    [Benchmark(Description = "JobEngine.TryTransitionAsync, 0 subscribers")]
    public bool Engine_NoSubscriber() => EngineTransition();

    [Benchmark(Description = "JobEngine.TryTransitionAsync, 1 subscriber")]
    public bool Engine_OneSubscriber() => EngineTransition();

    [Benchmark(Description = "JobEngine.TryTransitionAsync, 10 subscribers")]
    public bool Engine_TenSubscribers() => EngineTransition();

    private bool EngineTransition()
    {
        var pending = _engine.TryTransitionAsync(_job, NextTransition());
        var applied = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        return Moved(applied);
    }

    private JobTransition NextTransition() => new()
    {
        JobId = _job.Id,
        FromStatus = _status,
        ExpectedVersion = _version,
        ToStatus = _status == JobStatus.Running ? JobStatus.Pausing : JobStatus.Running,
        At = At,
    };

    private bool Moved(bool applied)
    {
        if (!applied)
        {
            throw new InvalidOperationException($"The transition from {_status} at version {_version} was refused; the benchmark lost track of the job.");
        }

        _version++;
        _status = _status == JobStatus.Running ? JobStatus.Pausing : JobStatus.Running;
        return applied;
    }

    private void SetUpEngine(int subscribers)
    {
        var services = new ServiceCollection();
        services.AddJobTracking(b => b.AddJob<NoOpJob>());
        _services = services.BuildServiceProvider();
        _engine = _services.GetRequiredService<JobEngine>();
        _store = _engine.Store;
        var events = _services.GetRequiredService<IJobEvents>();
        for (var i = 0; i < subscribers; i++)
        {
            // The default options: each subscriber reads the feed on a task of its own and never holds the engine up.
            _subscriptions.Add(events.Subscribe(static _ => { }));
        }

        CreateRunningJob();
    }

    private void CreateRunningJob()
    {
        var queued = new JobRecord
        {
            Id = Guid.CreateVersion7(At),
            TypeName = nameof(NoOpJob),
            DisplayName = nameof(NoOpJob),
            Status = JobStatus.Queued,
            Version = 1,
            Parameters = "{}",
            CreatedAt = At,
        };
        _store.CreateAsync(queued).AsTask().GetAwaiter().GetResult();
        var dispatch = new JobTransition { JobId = queued.Id, FromStatus = JobStatus.Queued, ExpectedVersion = 1, ToStatus = JobStatus.Running, At = At, Node = "bench" };
        if (!_store.TryTransitionAsync(dispatch).AsTask().GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("Could not move the benchmark job to Running.");
        }

        _job = _store.GetAsync(queued.Id).AsTask().GetAwaiter().GetResult()!;
        _status = _job.Status;
        _version = _job.Version;
    }
}
