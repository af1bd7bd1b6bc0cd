using JobTracking.Storage;
using Microsoft.Extensions.Logging;
using Xunit;

namespace JobTracking.Testing;

/// <summary>
/// Rules written on the contracts that the other groups do not reach: the fields a move to Running and a move with a
/// checkpoint set, a batch seen whole or not at all, which jobs hold a concurrency key, rejects of any length, and
/// which errors are transient.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>A move from Queued to Running sets the start time (only when the job has none) and the node that makes it.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Transition_QueuedToRunning_SetsStartedAtOnceAndTheNode()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);

        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 1, JobStatus.Running, T0.AddMinutes(1)) with { Node = "node-b" }));
        var started = (await store.GetAsync(job.Id))!;
        Assert.Equal(T0.AddMinutes(1), started.StartedAt);
        Assert.Equal("node-b", started.Node);

        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, 2, JobStatus.Pausing, T0.AddMinutes(2))));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Pausing, 3, JobStatus.Paused, T0.AddMinutes(2))));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Paused, 4, JobStatus.Queued, T0.AddMinutes(3))));
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 5, JobStatus.Running, T0.AddMinutes(4)) with { Node = "node-c" }));
        var resumed = (await store.GetAsync(job.Id))!;
        Assert.Equal(T0.AddMinutes(1), resumed.StartedAt);
        Assert.Equal("node-c", resumed.Node);
    }

    /// <summary>A move that carries a checkpoint stores the move's report with it, as the checkpoint's report.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Transition_WithACheckpoint_StoresItsReportAsTheCheckpointReport()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);
        var running = await ClaimOneAsync(store, job.Id, "n", T0);
        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Running, running.Version, JobStatus.Pausing) with { ClaimId = running.ClaimId }));
        var steps = new List<JobStep> { new() { Name = "write", Status = JobStepStatus.Running, StartedAt = T0, Read = 9, Written = 8, Skipped = 1, Warnings = 1 } };
        var report = new JobReport { Progress = new JobProgress(8, 20), Steps = steps, WarningCount = 2 };

        Assert.True(await store.TryTransitionAsync(Move(job.Id, JobStatus.Pausing, running.Version + 1, JobStatus.Paused) with
        {
            ClaimId = running.ClaimId,
            HasCheckpoint = true,
            Checkpoint = "{\"row\":8}",
            Report = report,
        }));
        var paused = (await store.GetAsync(job.Id))!;

        Assert.Equal("{\"row\":8}", paused.Checkpoint);
        Assert.NotNull(paused.CheckpointReport);
        Assert.Equal(report.Progress, paused.CheckpointReport.Progress);
        Assert.Equal(report.WarningCount, paused.CheckpointReport.WarningCount);
        Assert.Equal(steps, paused.CheckpointReport.Steps);
        Assert.Equal(report.Progress, paused.Progress);
    }

    /// <summary>A reader racing a batch sees none of its jobs or all of them, never a part (the batch is one step).</summary>
    /// <remarks>
    /// The reader reads a batch's first job, then its last: once the first is seen, a batch stored as one step shows the
    /// last too. Batches are written until the reader has seen a batch's first job while the call writing it had not
    /// returned yet, often enough to tell (or until a bounded number of rounds or time has passed), so that a loaded
    /// machine that leaves the reader no time in some rounds does not let a store that shows half a batch through.
    /// </remarks>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task CreateMany_AReaderRacingTheBatch_SeesNoneOrAll()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        BatchProbe? current = null;
        using var done = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                if (Volatile.Read(ref current) is not { } batch)
                {
                    await Task.Yield();
                    continue;
                }

                var during = batch.Creating;
                var firstSeen = await store.GetAsync(batch.First) is not null;
                var lastSeen = await store.GetAsync(batch.Last) is not null;
                if (during && firstSeen && batch.Creating)
                {
                    Interlocked.Increment(ref batch.Owner.Overlapped);
                }

                if (firstSeen && !lastSeen)
                {
                    Interlocked.Increment(ref batch.Owner.HalfSeen);
                }

                Interlocked.Increment(ref batch.Reads);
            }
        });

        var totals = new BatchTotals();
        var started = TimeProvider.System.GetTimestamp();
        var rounds = 0;
        for (; rounds < 100 && Volatile.Read(ref totals.Overlapped) < 20 && Volatile.Read(ref totals.HalfSeen) == 0
            && TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(10); rounds++)
        {
            var jobs = Enumerable.Range(0, 100).Select(i => NewJob() with { CreatedAt = T0.AddTicks(10 * i) }).ToList();
            var batch = new BatchProbe(jobs[0].Id, jobs[^1].Id, totals);
            Volatile.Write(ref current, batch);
            var waitStarted = TimeProvider.System.GetTimestamp();
            while (Volatile.Read(ref batch.Reads) == 0 && TimeProvider.System.GetElapsedTime(waitStarted) < TimeSpan.FromSeconds(1))
            {
                await Task.Yield();
            }

            batch.Creating = true;
            await store.CreateManyAsync(jobs);
            batch.Creating = false;
        }

        await done.CancelAsync();
        await reader;

        Assert.True(totals.HalfSeen == 0, $"a reader saw the first job of a 100-job batch while its last was not stored yet ({totals.HalfSeen} times in {rounds} rounds)");
    }

    /// <summary>Only an active job (Running, Pausing, Cancelling, ShuttingDown) holds its concurrency key: a paused, interrupted or draft job does not.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Claim_PausedInterruptedOrDraftJob_DoesNotHoldItsConcurrencyKey()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var paused = NewJob() with { ConcurrencyKey = "paused", CreatedAt = T0 };
        var interrupted = NewJob() with { ConcurrencyKey = "interrupted", CreatedAt = T0.AddSeconds(1) };
        await store.CreateAsync(paused);
        await store.CreateAsync(interrupted);
        var claimed = await store.ClaimAsync(Claim("n", 10, T0));
        Assert.Equal([paused.Id, interrupted.Id], claimed.Select(j => j.Id));
        Assert.True(await store.TryTransitionAsync(Move(paused.Id, JobStatus.Running, 2, JobStatus.Pausing)));
        Assert.True(await store.TryTransitionAsync(Move(paused.Id, JobStatus.Pausing, 3, JobStatus.Paused)));
        Assert.True(await store.TryTransitionAsync(Move(interrupted.Id, JobStatus.Running, 2, JobStatus.Interrupted)));
        var draft = NewJob() with { Status = JobStatus.Editing, ConcurrencyKey = "draft", CreatedAt = T0.AddSeconds(2) };
        await store.CreateAsync(draft);
        var waiting = new List<JobRecord>
        {
            NewJob() with { ConcurrencyKey = "paused", CreatedAt = T0.AddSeconds(3) },
            NewJob() with { ConcurrencyKey = "interrupted", CreatedAt = T0.AddSeconds(4) },
            NewJob() with { ConcurrencyKey = "draft", CreatedAt = T0.AddSeconds(5) },
        };
        foreach (var job in waiting)
        {
            await store.CreateAsync(job);
        }

        var next = await store.ClaimAsync(Claim("n", 10, T0));

        Assert.Equal(waiting.Select(j => j.Id), next.Select(j => j.Id));
    }

    /// <summary>A reject's raw record and reason round-trip whole, a megabyte long.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Journal_RejectOfAMegabyte_RoundTripsWhole()
    {
        await using var lease = await LeaseAsync();
        var job = NewJob();
        await lease.Store.CreateAsync(job);
        var raw = string.Concat(Enumerable.Repeat("sku;name;price\u00e9\0", 1_048_576 / 16));
        var reason = new string('r', 1_048_576);

        Assert.Equal(2, await J(lease.Store).AppendJournalAsync([Reject(job.Id, 1, raw, reason), Log(job.Id, LogLevel.Warning, "after")]));

        var reject = (await J(lease.Store).ReadRejectsAsync(job.Id, new JournalQuery())).Items.Single();
        Assert.Equal(raw.Length, reject.RawRecord.Length);
        Assert.Equal(raw, reject.RawRecord);
        Assert.Equal(reason, reject.Reason);
    }

    /// <summary>An argument error (a duplicate id, a move the lifecycle does not allow, any <see cref="ArgumentException"/>) is never transient: trying again cannot succeed.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task IsTransient_ArgumentErrors_AreNot()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob();
        await store.CreateAsync(job);

        var duplicate = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.CreateAsync(job with { DisplayName = "another" }));
        var illegal = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.TryTransitionAsync(Move(job.Id, JobStatus.Queued, 1, JobStatus.Completed)));

        Assert.False(store.IsTransient(duplicate), $"IsTransient answered true for the store's own {duplicate.GetType().Name} on a duplicate id");
        Assert.False(store.IsTransient(illegal), $"IsTransient answered true for the store's own {illegal.GetType().Name} on an illegal move");
        Assert.False(store.IsTransient(new ArgumentException("a bad argument")), "IsTransient answered true for an ArgumentException");
        Assert.False(store.IsTransient(new ArgumentNullException("job")), "IsTransient answered true for an ArgumentNullException");
    }

    /// <summary>What the reader counted over every batch of <see cref="CreateMany_AReaderRacingTheBatch_SeesNoneOrAll"/>: reads that saw a batch's first job while it was being written, and reads that saw its first job without its last.</summary>
    private sealed class BatchTotals
    {
        public int Overlapped;
        public int HalfSeen;
    }

    /// <summary>One batch of <see cref="CreateMany_AReaderRacingTheBatch_SeesNoneOrAll"/>: its first and last job, and whether it is being written.</summary>
    private sealed class BatchProbe(Guid first, Guid last, BatchTotals owner)
    {
        public Guid First { get; } = first;

        public Guid Last { get; } = last;

        public BatchTotals Owner { get; } = owner;

        public volatile bool Creating;

        public int Reads;
    }
}
