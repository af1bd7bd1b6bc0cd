using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using JobTracking.Benchmarks.Systems;

namespace JobTracking.Benchmarks;

/// <summary>
/// Start latency in memory with one idle worker: from the moment <c>StartAsync</c> returns to the moment the job's
/// <c>ExecuteAsync</c> is entered. BenchmarkDotNet's Mean is the whole round trip (start, dispatch, run, and waiting
/// for the worker to be idle again); the p50 and p99 columns are the latency itself, stamped inside every invocation
/// (the last 100,000 invocations, so the late, warm iterations). The baseline is the floor any dispatcher pays: one
/// work item handed to the .NET thread pool, from queueing to running. <see cref="IdleMs"/> = 0 starts jobs back to
/// back, while the pool's threads are still spinning from the last one; 1 lets the machine go idle for a millisecond
/// first, so the threads have parked and must be woken, which is what a job started now and then meets.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(LatencyConfig))]
public class StartLatencyBenchmarks
{
    private readonly LatencyRecorder _recorder = new();
    private LatencyProbe _probe = new();
    private JobTrackingSystem? _system;
    private IJobRunner? _runner;

    [Params(0, 1)]
    public int IdleMs { get; set; }

    [GlobalSetup(Target = nameof(StartToExecute))]
    public void StartJobTracking()
    {
        var system = JobTrackingSystem.Create(maxConcurrency: 1);
        system.StartAsync().GetAwaiter().GetResult();
        _system = system;
        _runner = system.Runner;
        _probe = system.Probe;
    }

    [GlobalCleanup]
    public void Report()
    {
        _system?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _recorder.Save(LatencyRecorder.Key(_system is null ? nameof(ThreadPoolHop) : nameof(StartToExecute), IdleMs));
    }

    [Benchmark(Baseline = true, Description = "ThreadPool.UnsafeQueueUserWorkItem -> callback")]
    public async Task ThreadPoolHop()
    {
        Idle();
        var entered = _probe.Arm();
        var queued = Stopwatch.GetTimestamp();
        ThreadPool.UnsafeQueueUserWorkItem(static probe => probe.Entered(), _probe, preferLocal: false);
        await entered;
        _recorder.Add(_probe.EnteredAt - queued);
    }

    [Benchmark(Description = "StartAsync returns -> ExecuteAsync entered")]
    public async Task StartToExecute()
    {
        Idle();
        var entered = _probe.Arm();
        await _runner!.StartAsync(nameof(LatencyJob), NoOpParameters.Instance);
        var returned = Stopwatch.GetTimestamp();
        await entered;
        _recorder.Add(_probe.EnteredAt - returned);

        // The next start must find the worker idle again.
        await _system!.DrainedAsync();
    }

    private void Idle()
    {
        if (IdleMs > 0)
        {
            Thread.Sleep(IdleMs);
        }
    }
}

/// <summary>Keeps the latest latencies and writes their percentiles where <see cref="LatencyColumn"/> finds them.</summary>
public sealed class LatencyRecorder
{
    /// <summary>The folder the benchmark processes write to; the launching process sets it (they inherit it) and reads it back.</summary>
    public const string FolderVariable = "JOBTRACKING_BENCH_LATENCY_DIR";

    private readonly long[] _ticks = new long[100_000];
    private long _count;

    /// <summary>The file name a benchmark case's percentiles are kept under: its method and its parameter values, in the order given.</summary>
    public static string Key(string method, params object?[] parameters) =>
        string.Join('-', parameters.Select(p => Convert.ToString(p, CultureInfo.InvariantCulture)).Prepend(method));

    public void Add(long ticks) => _ticks[_count++ % _ticks.Length] = Math.Max(0, ticks);

    public void Save(string key)
    {
        var count = (int)Math.Min(_count, _ticks.Length);
        if (count == 0)
        {
            return;
        }

        var sorted = _ticks[..count];
        Array.Sort(sorted);
        var p50 = Nanoseconds(sorted[(int)(0.50 * (count - 1))]);
        var p99 = Nanoseconds(sorted[(int)(0.99 * (count - 1))]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {key}: latency p50 {p50 / 1000:N1} µs, p99 {p99 / 1000:N1} µs over {count:N0} invocations"));
        if (Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, key + ".txt"), string.Create(CultureInfo.InvariantCulture, $"{p50} {p99} {count}"));
        }
    }

    private static double Nanoseconds(long ticks) => ticks * 1e9 / Stopwatch.Frequency;
}

/// <summary>Shows the p50 or p99 latency a benchmark process recorded under its method and the values of <paramref name="parameterNames"/>.</summary>
public sealed class LatencyColumn(bool p99, params string[] parameterNames) : IColumn
{
    public string Id => p99 ? "Latency.p99" : "Latency.p50";

    public string ColumnName => p99 ? "Latency p99" : "Latency p50";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => p99 ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"{(p99 ? "99th" : "50th")} percentile of the latency stamped inside each invocation (last 100,000 invocations)";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var folder = Environment.GetEnvironmentVariable(LatencyRecorder.FolderVariable);
        var key = LatencyRecorder.Key(benchmarkCase.Descriptor.WorkloadMethod.Name, [.. parameterNames.Select(name => benchmarkCase.Parameters[name])]);
        var file = folder is null ? null : Path.Combine(folder, key + ".txt");
        if (file is null || !File.Exists(file))
        {
            return "NA";
        }

        var parts = File.ReadAllText(file).Split(' ');
        var nanoseconds = double.Parse(parts[p99 ? 1 : 0], CultureInfo.InvariantCulture);
        return (nanoseconds / 1000).ToString("N1", CultureInfo.InvariantCulture) + " μs";
    }

    public override string ToString() => ColumnName;
}

/// <summary>The latency columns of <see cref="StartLatencyBenchmarks"/>.</summary>
public sealed class LatencyConfig : ManualConfig
{
    public LatencyConfig()
    {
        AddColumn(new LatencyColumn(p99: false, nameof(StartLatencyBenchmarks.IdleMs)), new LatencyColumn(p99: true, nameof(StartLatencyBenchmarks.IdleMs)));
    }
}
