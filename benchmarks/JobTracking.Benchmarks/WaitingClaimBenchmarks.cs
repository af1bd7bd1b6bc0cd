using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace JobTracking.Benchmarks;

/// <summary>
/// Claims on a store with 1,000,000 queued jobs waiting for a later time (<c>RunAfter</c> a year ahead) and with none: a
/// claim must not read the waiting jobs, so each figure should be the same for 0 and 1,000,000. The control is the same
/// number of drafts, which no claim looks at either: what they cost is the store's size, not waiting. The baseline is a
/// claim that finds nothing ready; the other method is one job's cycle at the store (create it, claim it, store Completed).
/// </summary>
/// <remarks>The jobs are created in batches of 10,000 through <c>CreateManyAsync</c>, once per process.</remarks>
public abstract class WaitingClaimBenchmarks
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);

    private int _created;

    /// <summary>No other job; 1,000,000 jobs waiting for a time a year ahead; 1,000,000 drafts (the control). 10,000 in smoke mode.</summary>
    public static IEnumerable<string> Backlogs => BenchmarkSettings.Smoke ? ["none", "10,000 waiting", "10,000 drafts"] : ["none", "1,000,000 waiting", "1,000,000 drafts"];

    [ParamsSource(nameof(Backlogs))]
    public string Backlog { get; set; } = "none";

    /// <summary>Gets the store under test, made by <see cref="OpenStore"/>.</summary>
    protected IJobStore Store { get; private set; } = null!;

    [GlobalSetup]
    public void Open()
    {
        Store = OpenStore();
        var clock = Stopwatch.StartNew();
        const int Batch = 10_000;
        var count = Backlog == "none" ? 0 : int.Parse(Backlog.Split(' ')[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        var drafts = Backlog.EndsWith("drafts", StringComparison.Ordinal);
        for (var from = 0; from < count; from += Batch)
        {
            var jobs = new JobRecord[Math.Min(Batch, count - from)];
            for (var i = 0; i < jobs.Length; i++)
            {
                jobs[i] = drafts ? Job(from + i) with { Status = JobStatus.Editing } : Job(from + i) with { RunAfter = DateTimeOffset.UtcNow.AddDays(365) };
            }

            Store.CreateManyAsync(jobs).AsTask().GetAwaiter().GetResult();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {Backlog} created in {clock.Elapsed.TotalSeconds:N1} s"));
        _created = count;
    }

    [GlobalCleanup]
    public void Close() => CloseStore();

    [Benchmark(Baseline = true, Description = "claim, nothing ready")]
    public IReadOnlyList<JobRecord> ClaimNothingReady() => Store.ClaimAsync(Claim()).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "create, claim and complete one job")]
    public bool CreateClaimComplete()
    {
        var job = Job(_created++);
        Store.CreateAsync(job).AsTask().GetAwaiter().GetResult();
        var claimed = Store.ClaimAsync(Claim()).AsTask().GetAwaiter().GetResult();
        var running = claimed.Count == 1 ? claimed[0] : throw new InvalidOperationException($"The claim took {claimed.Count} jobs, not the one ready.");
        return Store.TryTransitionAsync(new JobTransition
        {
            JobId = running.Id,
            FromStatus = JobStatus.Running,
            ExpectedVersion = running.Version,
            ToStatus = JobStatus.Completed,
            At = Start,
            ClaimId = running.ClaimId,
        }).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Opens an empty store.</summary>
    protected abstract IJobStore OpenStore();

    /// <summary>Closes the store and deletes what it left.</summary>
    protected abstract void CloseStore();

    private static JobClaimRequest Claim() => new() { InstanceId = "bench", Node = "bench", MaxCount = 10, At = Start, LeaseDuration = TimeSpan.FromMinutes(5) };

    private static JobRecord Job(int i) => new()
    {
        Id = Guid.CreateVersion7(),
        TypeName = nameof(NoOpJob),
        DisplayName = "Job " + i.ToString(CultureInfo.InvariantCulture),
        Status = JobStatus.Queued,
        Version = 1,
        Parameters = "{}",
        CreatedAt = Start,
    };
}
