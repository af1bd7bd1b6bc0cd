using JobTracking.Storage;
using Xunit;

namespace JobTracking.Testing;

/// <summary>
/// A create sent again after its answer was lost (a transient error after the store committed): it finds its own job and
/// succeeds without storing or recording anything, while another job with the same id is still refused.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>A create sent again finds the identical job (as created, or moved on since) and succeeds, storing, queuing and recording nothing more.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Create_SentAgainAfterItWasStored_SucceedsAndChangesNothing()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob() with
        {
            DisplayName = "Import « produits » \0 製品",
            Parameters = "{\"file\":\"a\\u0000b.csv\",\"rows\":17}",
            LaunchedBy = "émilie@example.com",
            Priority = 3,
            ConcurrencyKey = "profile/42",
            CreatedAt = T0.AddTicks(1234567),
        };
        var draft = NewJob() with { Status = JobStatus.Editing, Parameters = "", LaunchedBy = null, ConcurrencyKey = null, CreatedAt = T0.AddTicks(7) };
        await store.CreateAsync(job);
        await store.CreateAsync(draft);
        var start = await LatestAsync(store);

        await store.CreateAsync(job);
        await store.CreateAsync(draft);
        await store.CreateManyAsync([job]);

        Assert.Empty(await ReadAllFeedAsync(store, start));
        Assert.Equal((JobStatus.Queued, 1L), await StatusAsync(store, job.Id));
        Assert.Equal((JobStatus.Editing, 1L), await StatusAsync(store, draft.Id));
        Assert.Equal(new[] { job.Id }, (await store.ClaimAsync(Claim("n", 10, T0.AddSeconds(1)))).Select(j => j.Id));

        // Moved on since (claimed: Running at version 2), the job is still the one the create sent.
        start = await LatestAsync(store);
        await store.CreateAsync(job);
        var running = (await store.GetAsync(job.Id))!;
        Assert.Equal((JobStatus.Running, 2L), (running.Status, running.Version));
        Assert.NotNull(running.ClaimId);
        Assert.Empty(await ReadAllFeedAsync(store, start));
        Assert.Empty(await store.ClaimAsync(Claim("n", 10, T0.AddSeconds(2))));
    }

    /// <summary>A create whose job differs in any field from the stored job with its id is refused, alone or in a batch, and changes nothing.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Create_SameIdButAnotherJob_IsRefusedAndChangesNothing()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var job = NewJob() with { LaunchedBy = "ann", Priority = 2, ConcurrencyKey = "k", CreatedAt = T0.AddSeconds(3) };
        await store.CreateAsync(job);
        var start = await LatestAsync(store);

        JobRecord[] others =
        [
            job with { TypeName = "other" },
            job with { DisplayName = "other" },
            job with { Parameters = "{\"a\":1}" },
            job with { LaunchedBy = null },
            job with { LaunchedBy = "bob" },
            job with { Priority = 3 },
            job with { ConcurrencyKey = null },
            job with { ConcurrencyKey = "k2" },
            job with { CreatedAt = job.CreatedAt.AddMilliseconds(1) },
            job with { Status = JobStatus.Editing },
        ];
        foreach (var other in others)
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.CreateAsync(other));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.CreateManyAsync([other]));
        }

        var read = (await store.GetAsync(job.Id))!;
        Assert.Equal(
            (job.TypeName, job.DisplayName, job.Parameters, job.LaunchedBy, job.Priority, job.ConcurrencyKey, job.Status, 1L),
            (read.TypeName, read.DisplayName, read.Parameters, read.LaunchedBy, read.Priority, read.ConcurrencyKey, read.Status, read.Version));
        Assert.Empty(await ReadAllFeedAsync(store, start));
    }

    /// <summary>A batch sent again finds every one of its jobs stored, identical, and succeeds, storing, queuing and recording nothing more, also after some of them moved on.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task CreateMany_SentAgainAfterItWasStored_SucceedsAndChangesNothing()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var jobs = Enumerable.Range(0, 30).Select(i => NewJob() with
        {
            DisplayName = $"batch job {i} \0 ünïcode",
            Parameters = $"{{\"item\":{i}}}",
            LaunchedBy = i % 2 == 0 ? "ann" : null,
            Priority = i % 3,
            ConcurrencyKey = i % 7 == 0 ? $"key/{i}" : null,
            Status = i % 10 == 9 ? JobStatus.Editing : JobStatus.Queued,
            CreatedAt = T0.AddTicks(10 * i + 3),
        }).ToList();
        await store.CreateManyAsync(jobs);
        var start = await LatestAsync(store);

        await store.CreateManyAsync(jobs);

        Assert.Empty(await ReadAllFeedAsync(store, start));
        var claimed = (await store.ClaimAsync(Claim("n", 10, T0.AddSeconds(1)))).Select(j => j.Id).ToList();
        Assert.Equal(10, claimed.Count);

        start = await LatestAsync(store);
        await store.CreateManyAsync(jobs);
        Assert.Empty(await ReadAllFeedAsync(store, start));
        while (await store.ClaimAsync(Claim("n", 7, T0.AddSeconds(2))) is { Count: > 0 } batch)
        {
            claimed.AddRange(batch.Select(j => j.Id));
        }

        Assert.Equal(jobs.Where(j => j.Status == JobStatus.Queued).Select(j => j.Id).Order(), claimed.Order());
    }

    /// <summary>A batch holding some stored ids and some new ones, or a stored id with another job, is refused whole: nothing of it is stored or recorded.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task CreateMany_PartlyStoredOrWithAnotherJob_IsRefusedWhole()
    {
        await using var lease = await LeaseAsync();
        var store = lease.Store;
        var stored = Enumerable.Range(0, 5).Select(i => NewJob() with { DisplayName = $"stored {i}" }).ToList();
        await store.CreateManyAsync(stored);
        var start = await LatestAsync(store);
        var fresh = Enumerable.Range(0, 3).Select(i => NewJob() with { DisplayName = $"fresh {i}" }).ToList();

        List<JobRecord> storedThenNew = [.. stored, .. fresh];
        List<JobRecord> newThenStored = [.. fresh, stored[2]];
        List<JobRecord> oneDiffers = [stored[0], stored[1] with { DisplayName = "other" }, stored[2], stored[3], stored[4]];
        foreach (var batch in new[] { storedThenNew, newThenStored, oneDiffers })
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.CreateManyAsync(batch));
        }

        foreach (var job in fresh)
        {
            Assert.Null(await store.GetAsync(job.Id));
        }

        Assert.Equal("stored 1", (await store.GetAsync(stored[1].Id))!.DisplayName);
        Assert.Empty(await ReadAllFeedAsync(store, start));
        Assert.Equal(stored.Select(j => j.Id).Order(), (await IdsAsync(store, new JobQuery())).Order());
    }

    private static async Task<(JobStatus Status, long Version)> StatusAsync(IJobStore store, Guid id)
    {
        var job = await store.GetAsync(id);
        Assert.NotNull(job);
        return (job.Status, job.Version);
    }
}
