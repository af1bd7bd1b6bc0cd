using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using JobTracking.Benchmarks.Systems;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Benchmarks;

/// <summary>
/// Live latency of the dashboard: from the moment <c>StartAsync</c> returns (the job's first transition is stored) to
/// the moment a reader of the dashboard's live stream (<c>/jobs/events</c>, Server-Sent Events, as an open page reads
/// it) has that job's first event, over a real loopback socket to the app on Kestrel. The reader is an
/// <see cref="HttpClient"/> that stamps each frame as soon as its <c>data:</c> line has arrived; a browser adds its own
/// parsing and painting. The baseline is the same latency to an <c>IJobEvents.ReadAllAsync</c> reader in the app's
/// process (no HTTP): what the stream itself adds is the difference. Both readers are connected in every case. Each
/// invocation then waits until the stream has shown the job finished, so the next one starts on a quiet system.
/// The p50 and p99 columns are the latency (the last 100,000 invocations); Mean is the whole round trip. On the
/// in-memory store and on a fresh SQLite file (<c>Synchronous = Full</c>, the default); <see cref="IdleMs"/> = 1 lets
/// the machine go quiet for a millisecond before each start, so the threads have parked, as between the transitions
/// an open page sees.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(DashboardLatencyConfig))]
public class DashboardLiveBenchmarks
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    private readonly LatencyRecorder _recorder = new();
    private readonly Arrivals _stream = new();
    private readonly Arrivals _inProcess = new();
    private readonly CancellationTokenSource _stop = new();
    private TempDatabase? _database;
    private DashboardHost _host = null!;
    private IJobRunner _runner = null!;
    private Task _readers = Task.CompletedTask;
    private string _measured = nameof(StartToStream);

    [Params(BenchStore.InMemory, BenchStore.SqliteFull)]
    public BenchStore Store { get; set; }

    [ParamsSource(nameof(Idle))]
    public int IdleMs { get; set; }

    /// <summary>0 and 1 ms; 1 only in smoke mode.</summary>
    public static IEnumerable<int> Idle => BenchmarkSettings.Smoke ? [1] : [0, 1];

    [GlobalSetup(Target = nameof(StartToInProcess))]
    public void StartForInProcess()
    {
        _measured = nameof(StartToInProcess);
        Start();
    }

    [GlobalSetup(Target = nameof(StartToStream))]
    public void Start()
    {
        _database = Store == BenchStore.InMemory ? null : new TempDatabase();
        _host = DashboardHost.StartAsync(jobs =>
        {
            jobs.AddJob<NoOpJob>().Configure(o => o.MaxConcurrency = 1);
            if (_database is not null)
            {
                jobs.UseSqlite(_database.ConnectionString, o => o.Synchronous = TempDatabase.Options(Store).Synchronous);
            }
        }).GetAwaiter().GetResult();
        _runner = _host.Runner;
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = (IJobEvents)_host.Services.GetService(typeof(IJobEvents))!;
        _readers = Task.WhenAll(
            Task.Run(() => ReadStreamAsync(opened)),
            Task.Run(() => ReadInProcessAsync(events)));
        opened.Task.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();

        // One job through both readers before anything is measured, so both are known to be connected.
        MeasureAsync(_stream, record: false).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Stop()
    {
        _stop.Cancel();
        _host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _readers.Wait(TimeSpan.FromSeconds(10));
        _database?.Dispose();
        _stop.Dispose();
        _recorder.Save(LatencyRecorder.Key(_measured, Store, IdleMs));
    }

    [Benchmark(Baseline = true, Description = "StartAsync returns -> IJobEvents reader in process")]
    public Task StartToInProcess() => MeasureAsync(_inProcess);

    [Benchmark(Description = "StartAsync returns -> SSE reader of /jobs/events")]
    public Task StartToStream() => MeasureAsync(_stream);

    private async Task MeasureAsync(Arrivals measured, bool record = true)
    {
        if (IdleMs > 0)
        {
            Thread.Sleep(IdleMs);
        }

        var id = await _runner.StartAsync(nameof(NoOpJob), NoOpParameters.Instance);
        var returned = Stopwatch.GetTimestamp();
        var arrived = await WithinAsync(measured.Of(id).First.Task, id, "no event");
        if (record)
        {
            _recorder.Add(arrived - returned);
        }

        // The next start must find the system quiet: the job finished, as both readers saw it.
        await WithinAsync(_stream.Of(id).Finished.Task, id, "no finished event on the stream");
        await WithinAsync(_inProcess.Of(id).Finished.Task, id, "no finished event in process");
        _stream.Forget(id);
        _inProcess.Forget(id);
    }

    // A lost event fails the benchmark with what was missing, instead of leaving it waiting for ever.
    private static async Task<T> WithinAsync<T>(Task<T> task, Guid id, string missing)
    {
        await WithinAsync((Task)task, id, missing);
        return await task;
    }

    private static async Task WithinAsync(Task task, Guid id, string missing)
    {
        if (await Task.WhenAny(task, Task.Delay(EventTimeout)) != task)
        {
            throw new TimeoutException($"Job {id}: {missing} within {EventTimeout.TotalSeconds:N0} s.");
        }

        await task;
    }

    /// <summary>Reads the live stream as a page's script does, frame by frame; stamps each job event when its data line has arrived.</summary>
    private async Task ReadStreamAsync(TaskCompletionSource opened)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs/events");
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await _host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith(": open", StringComparison.Ordinal))
                {
                    opened.TrySetResult();
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    var at = Stopwatch.GetTimestamp();
                    using var json = JsonDocument.Parse(line.AsMemory(6));
                    var root = json.RootElement;
                    _stream.Seen(root.GetProperty("id").GetGuid(), at, root.GetProperty("finished").GetBoolean());
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (!_stop.IsCancellationRequested)
        {
            opened.TrySetException(exception);
            _stream.Fail(exception);
        }
    }

    private async Task ReadInProcessAsync(IJobEvents events)
    {
        try
        {
            await foreach (var jobEvent in events.ReadAllAsync(cancellationToken: _stop.Token))
            {
                _inProcess.Seen(jobEvent.JobId, Stopwatch.GetTimestamp(), jobEvent.IsFinished);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>When one reader first had each job's events, and when it saw the job finished.</summary>
    private sealed class Arrivals
    {
        private readonly ConcurrentDictionary<Guid, Arrival> _jobs = new();
        private Exception? _failed;

        public Arrival Of(Guid id)
        {
            var arrival = _jobs.GetOrAdd(id, static _ => new Arrival());
            if (_failed is { } failed)
            {
                arrival.First.TrySetException(failed);
                arrival.Finished.TrySetException(failed);
            }

            return arrival;
        }

        public void Seen(Guid id, long at, bool finished)
        {
            var arrival = Of(id);
            arrival.First.TrySetResult(at);
            if (finished)
            {
                arrival.Finished.TrySetResult();
            }
        }

        public void Forget(Guid id) => _jobs.TryRemove(id, out _);

        public void Fail(Exception exception)
        {
            _failed = exception;
            foreach (var arrival in _jobs.Values)
            {
                arrival.First.TrySetException(exception);
                arrival.Finished.TrySetException(exception);
            }
        }
    }

    private sealed class Arrival
    {
        public TaskCompletionSource<long> First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The latency columns of <see cref="DashboardLiveBenchmarks"/>.</summary>
public sealed class DashboardLatencyConfig : ManualConfig
{
    public DashboardLatencyConfig()
    {
        string[] parameters = [nameof(DashboardLiveBenchmarks.Store), nameof(DashboardLiveBenchmarks.IdleMs)];
        AddColumn(new LatencyColumn(p99: false, parameters), new LatencyColumn(p99: true, parameters));
    }
}
