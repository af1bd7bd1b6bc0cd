using JobTracking.Storage;
using Xunit;

namespace JobTracking.Testing;

/// <summary>Creating many jobs in one call (<see cref="IJobStore.CreateManyAsync"/>): every job or none, recorded and queued in the order given.</summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>Every job of a batch reads back exactly as given, drafts and queued jobs alike.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task CreateMany_RoundTripsEveryJob()
    {
        await using var lease = await LeaseAsync();
        var jobs = Enumerable.Range(0, 50).Select(i => NewJob() with
        {
            DisplayName = $"batch job {i} \0 ünïcode",
            Parameters = $"{{\"item\":{i}}}",
            LaunchedBy = i % 2 == 0 ? "ann" : null,
            Priority = (i % 5) - 2,
            ConcurrencyKey = i % 7 == 0 ? $"key/{i}" : null,
            Status = i % 10 == 9 ? JobStatus.Editing : JobStatus.Queued,
            CreatedAt = T0.AddTicks(10 * i),
        }).ToList();

        await lease.Store.CreateManyAsync(jobs);

        foreach (var job in jobs)
        {
            var read = await lease.Store.GetAsync(job.Id);
            Assert.NotNull(read);
            Assert.Equal(
                (job.TypeName, job.DisplayName, job.Parameters, job.LaunchedBy, job.Priority, job.ConcurrencyKey, job.Status, 1L, 1),
                (read.TypeName, read.DisplayName, read.Parameters, read.LaunchedBy, read.Priority, read.ConcurrencyKey, read.Status, read.Version, read.Attempt));
            AssertMicroseconds(job.CreatedAt, read.CreatedAt);
            Assert.Empty(read.PreviousAttempts);
        }
    }

    /// <summary>An empty batch stores nothing and records nothing.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task CreateMany_EmptyBatch_StoresNothing()
    {
        await using var lease = await LeaseAsync();
        var start = await LatestAsync(lease.Store);

        await lease.Store.CreateManyAsync([]);

        Assert.Empty(await ReadAllFeedAsync(lease.Store, start));
        Assert.Empty((await Q(lease.Store).QueryAsync(new JobQuery())).Items);
    }

    /// <summary>A batch holding an id twice, or an id the store holds, or an invalid job, is refused whole: none of its jobs is stored or recorded.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task CreateMany_DuplicateOrInvalidJob_StoresNone()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var existing = NewJob() with { DisplayName = "existing" };
        await store.CreateAsync(existing);
        var start = await LatestAsync(store);

        var repeated = NewJob();
        List<JobRecord> twiceInBatch = [NewJob(), repeated, NewJob(), repeated with { DisplayName = "again" }];
        List<JobRecord> clashesWithStored = [NewJob(), NewJob(), existing with { DisplayName = "again" }, NewJob()];
        List<JobRecord> invalid = [NewJob(), NewJob() with { Status = JobStatus.Running }];
        List<JobRecord> holdingNull = [NewJob(), null!];

        foreach (var batch in new[] { twiceInBatch, clashesWithStored, invalid, holdingNull })
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.CreateManyAsync(batch));
            foreach (var job in batch.Where(j => j is not null && j.Id != existing.Id))
            {
                Assert.Null(await store.GetAsync(job.Id));
            }
        }

        Assert.Equal("existing", (await store.GetAsync(existing.Id))!.DisplayName);
        Assert.Empty(await ReadAllFeedAsync(store, start));
        Assert.Equal(new[] { existing.Id }, await IdsAsync(store, new JobQuery()));

        // Nothing of the refused batches was queued either: the one job claimed is the one stored before them.
        var claimed = await store.ClaimAsync(Claim("n", 100, T0));
        Assert.Equal(new[] { existing.Id }, claimed.Select(j => j.Id));
    }

    /// <summary>Each job of a batch adds one Created change, in the order of the batch, with sequence numbers that only grow.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task CreateMany_RecordsOneCreatedChangePerJobInOrder()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var start = await LatestAsync(store);
        var jobs = Enumerable.Range(0, 300).Select(i => NewJob() with
        {
            DisplayName = $"job {i}",
            Status = i % 3 == 0 ? JobStatus.Editing : JobStatus.Queued,
        }).ToList();

        await store.CreateManyAsync(jobs);

        var changes = await ReadAllFeedAsync(store, start);
        Assert.Equal(jobs.Count, changes.Count);
        AssertIncreasing(changes);
        for (var i = 0; i < jobs.Count; i++)
        {
            var change = changes[i];
            Assert.Equal(jobs[i].Id, change.JobId);
            Assert.Equal(JobEventKind.Created, change.Kind);
            Assert.Equal((jobs[i].Status, jobs[i].Status, 1L), (change.PreviousStatus, change.Status, change.Version));
            Assert.Equal(jobs[i].DisplayName, change.DisplayName);
            AssertMicroseconds(jobs[i].CreatedAt, change.At);
        }
    }

    /// <summary>Claims take a batch's queued jobs by priority, then in the order of the batch, after the jobs queued before it; its drafts are not claimed.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task CreateMany_ClaimsFollowQueueOrder()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var before = NewJob() with { CreatedAt = T0.AddSeconds(5) };
        await store.CreateAsync(before);

        // Created earlier than the job before them, and with ids in no particular order: only the queue order counts.
        var jobs = Enumerable.Range(0, 40).Select(i => NewJob() with
        {
            Priority = i % 4 == 3 ? 5 : 0,
            Status = i % 10 == 4 ? JobStatus.Editing : JobStatus.Queued,
        }).ToList();
        await store.CreateManyAsync(jobs);

        var claimed = new List<Guid>();
        while (await store.ClaimAsync(Claim("n", 7, T0.AddSeconds(10))) is { Count: > 0 } batch)
        {
            claimed.AddRange(batch.Select(j => j.Id));
        }

        var queued = jobs.Where(j => j.Status == JobStatus.Queued).ToList();
        List<Guid> expected =
        [
            .. queued.Where(j => j.Priority == 5).Select(j => j.Id),
            before.Id,
            .. queued.Where(j => j.Priority == 0).Select(j => j.Id),
        ];
        Assert.Equal(expected, claimed);
    }
}
