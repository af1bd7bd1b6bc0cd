using Microsoft.Extensions.Time.Testing;

namespace JobTracking.PostgreSql.Tests;

/// <summary>
/// Three instances of the store, opened on one schema in this process, race for the same jobs: workers of all three
/// are released together by a barrier, and each job must go to exactly one of them, claimed or reclaimed.
/// </summary>
[Trait("Category", "PostgreSql")]
public sealed class ClaimContentionTests(ITestOutputHelper output)
{
    private const int Instances = 3;
    private const int WorkersPerInstance = 2;
    private const int JobsPerRound = 30;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThreeInstances_ClaimingTheSameReadyJobsAtOneInstant_ClaimEachJobExactlyOnce()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var stores = await OpenStoresAsync(schema);
        try
        {
            // The first claim of each worker asks for everything, a third, a few, or one job at a time.
            int[] claimSizes = [JobsPerRound, 10, 4, 1];
            for (var round = 0; round < 20; round++)
            {
                var jobs = NewJobs(JobsPerRound, $"round {round}");
                await stores[0].CreateManyAsync(jobs, Token);
                var maxCount = claimSizes[round % claimSizes.Length];

                var claimed = await RaceAsync(stores, (store, instance) => ClaimUntilEmptyAsync(store, instance, maxCount));

                claimed.Select(c => c.Item.Id).Should().OnlyHaveUniqueItems($"no job is claimed twice (round {round}, {maxCount} at a time)");
                claimed.Select(c => c.Item.Id).Order().Should().Equal(jobs.Select(j => j.Id).Order(), $"every ready job is claimed (round {round})");
                foreach (var (instance, job) in claimed)
                {
                    job.Should().Match<JobRecord>(j => j.Status == JobStatus.Running && j.Version == 2 && j.InstanceId == instance && j.ClaimId != null);
                    var stored = await stores[(round + 1) % Instances].GetAsync(job.Id, Token);
                    stored!.Claim.Should().BeEquivalentTo(job.Claim, $"the store holds the one claim that was handed out for job {job.Id:N}");
                }

                output.WriteLine($"Round {round}, {maxCount} at a time: " +
                    string.Join(", ", claimed.GroupBy(c => c.Instance).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
            }
        }
        finally
        {
            await DisposeAllAsync(stores);
        }
    }

    [Fact]
    public async Task ThreeInstances_ClaimingKeyedJobsAtOneInstant_NeverHoldTwoJobsOfOneKey()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var stores = await OpenStoresAsync(schema);
        try
        {
            for (var round = 0; round < 10; round++)
            {
                // 30 jobs over 5 keys: whoever claims, at most one job of each key may be active at once.
                var jobs = NewJobs(JobsPerRound, $"keyed round {round}").Select((j, i) => j with { ConcurrencyKey = $"key/{i % 5}" }).ToArray();
                await stores[0].CreateManyAsync(jobs, Token);

                var claimed = await RaceAsync<JobRecord>(stores, async (store, instance) => [.. await store.ClaimAsync(Claim(instance, 10, TimeSpan.FromMinutes(1)), Token)]);

                claimed.Select(c => c.Item.ConcurrencyKey).Should().OnlyHaveUniqueItems($"two instances never hold two jobs of one key (round {round})");
                claimed.Should().HaveCount(5, "one job of each key is claimed, by whichever instance got there first");

                // Finishing them frees the keys for the next round's claims (and for this round's remaining jobs, cancelled here).
                foreach (var (_, job) in claimed)
                {
                    (await stores[1].TryTransitionAsync(new JobTransition { JobId = job.Id, FromStatus = JobStatus.Running, ExpectedVersion = job.Version, ToStatus = JobStatus.Completed, At = DateTimeOffset.UtcNow, ClaimId = job.ClaimId }, Token)).Should().BeTrue();
                }

                foreach (var job in jobs.Where(j => claimed.All(c => c.Item.Id != j.Id)))
                {
                    (await stores[2].TryTransitionAsync(new JobTransition { JobId = job.Id, FromStatus = JobStatus.Queued, ExpectedVersion = 1, ToStatus = JobStatus.Cancelled, At = DateTimeOffset.UtcNow }, Token)).Should().BeTrue();
                }
            }
        }
        finally
        {
            await DisposeAllAsync(stores);
        }
    }

    [Fact]
    public async Task ADeadInstancesJobs_ReclaimedByThreeInstancesAtOneInstant_AreReclaimedExactlyOnce()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var stores = await OpenStoresAsync(schema, clock);
        try
        {
            int[] reclaimSizes = [1000, 7, 1];
            for (var round = 0; round < 6; round++)
            {
                // The residue of a killed instance: jobs it claimed with a 1 s lease, left Running; beside them, jobs
                // that a live instance holds on a long lease.
                var residue = NewJobs(JobsPerRound, $"round {round} residue");
                var live = NewJobs(10, $"round {round} live");
                await stores[0].CreateManyAsync([.. residue, .. live], Token);
                var dead = await stores[0].ClaimAsync(Claim("dead", JobsPerRound, TimeSpan.FromSeconds(1)), Token);
                dead.Select(j => j.Id).Should().Equal(residue.Select(j => j.Id), "the dead instance claimed the residue, in queue order");
                var alive = await stores[1].ClaimAsync(Claim("alive", live.Length, TimeSpan.FromMinutes(5)), Token);
                alive.Select(j => j.Id).Should().Equal(live.Select(j => j.Id));

                // Past the dead instance's leases by the clock that judges them (the stores' lease clock here).
                clock.Advance(dead.Max(j => j.LeaseExpiresAt!.Value) - clock.GetUtcNow() + TimeSpan.FromMilliseconds(1));

                var maxCount = reclaimSizes[round % reclaimSizes.Length];
                var reclaimed = await RaceAsync(stores, (store, instance) => ReclaimUntilEmptyAsync(store, instance, maxCount));

                reclaimed.Select(r => r.Item.Job.Id).Should().OnlyHaveUniqueItems($"no job is reclaimed twice (round {round}, {maxCount} at a time)");
                reclaimed.Select(r => r.Item.Job.Id).Order().Should().Equal(residue.Select(j => j.Id).Order(),
                    $"the whole residue is reclaimed, and no job on a live lease (round {round})");
                var claimedVersion = dead.ToDictionary(j => j.Id, j => j.Version);
                foreach (var (_, r) in reclaimed)
                {
                    r.Should().Match<JobReclaimed>(x => x.PreviousStatus == JobStatus.Running && x.PreviousInstanceId == "dead"
                        && x.Job.Status == JobStatus.Interrupted && x.Job.Claim == null && x.Job.Version == claimedVersion[x.Job.Id] + 1);
                    var stored = await stores[2].GetAsync(r.Job.Id, Token);
                    stored!.Should().Match<JobRecord>(j => j.Status == JobStatus.Interrupted && j.Version == claimedVersion[j.Id] + 1 && j.Claim == null);
                }

                foreach (var job in alive)
                {
                    (await stores[2].GetAsync(job.Id, Token))!.Should().Match<JobRecord>(j => j.Status == JobStatus.Running && j.ClaimId == job.ClaimId && j.InstanceId == "alive",
                        "a job on a live lease stays with its owner");
                }

                output.WriteLine($"Round {round}, {maxCount} at a time: " +
                    string.Join(", ", reclaimed.GroupBy(c => c.Instance).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
            }
        }
        finally
        {
            await DisposeAllAsync(stores);
        }
    }

    /// <summary>Three stores on one schema; with <paramref name="leaseClock"/>, leases are judged by it instead of the database's clock.</summary>
    private static async Task<PostgreSqlJobStore[]> OpenStoresAsync(TestSchema schema, TimeProvider? leaseClock = null)
    {
        var stores = new PostgreSqlJobStore[Instances];
        for (var i = 0; i < Instances; i++)
        {
            stores[i] = await PostgreSqlJobStoreConformanceTests.OpenAsync(schema, leaseClock);

            // A first write opens the writer's connection, so the races below are not races to connect.
            (await stores[i].ClaimAsync(Claim($"instance-{i}", 1, TimeSpan.FromMinutes(1)), Token)).Should().BeEmpty();
        }

        return stores;
    }

    private static async Task DisposeAllAsync(IEnumerable<PostgreSqlJobStore> stores)
    {
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
    }

    /// <summary>Runs <see cref="WorkersPerInstance"/> workers per store, each on a thread of its own, all released at once by a barrier.</summary>
    private static async Task<List<(string Instance, T Item)>> RaceAsync<T>(
        IReadOnlyList<PostgreSqlJobStore> stores, Func<PostgreSqlJobStore, string, Task<List<T>>> work)
    {
        var workers = Instances * WorkersPerInstance;
        using var barrier = new Barrier(workers);
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Factory.StartNew(
            () =>
            {
                barrier.SignalAndWait(Token);
                return work(stores[w % Instances], $"instance-{w % Instances}");
            },
            Token,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()).ToArray();
        var results = await Task.WhenAll(tasks);
        return results.SelectMany((items, w) => items.Select(item => ($"instance-{w % Instances}", item))).ToList();
    }

    private static async Task<List<JobRecord>> ClaimUntilEmptyAsync(PostgreSqlJobStore store, string instance, int maxCount)
    {
        var claimed = new List<JobRecord>();
        while (true)
        {
            var batch = await store.ClaimAsync(Claim(instance, maxCount, TimeSpan.FromMinutes(5)), Token);
            if (batch.Count == 0)
            {
                return claimed;
            }

            claimed.AddRange(batch);
        }
    }

    private static async Task<List<JobReclaimed>> ReclaimUntilEmptyAsync(PostgreSqlJobStore store, string instance, int maxCount)
    {
        var reclaimed = new List<JobReclaimed>();
        while (true)
        {
            var batch = await store.ReclaimAsync(new JobReclaimRequest { InstanceId = instance, At = DateTimeOffset.UtcNow, MaxCount = maxCount }, Token);
            if (batch.Count == 0)
            {
                return reclaimed;
            }

            reclaimed.AddRange(batch);
        }
    }

    private static JobClaimRequest Claim(string instance, int maxCount, TimeSpan lease) => new()
    {
        InstanceId = instance,
        Node = instance,
        MaxCount = maxCount,
        At = DateTimeOffset.UtcNow,
        LeaseDuration = lease,
    };

    private static JobRecord[] NewJobs(int count, string name)
    {
        var now = DateTimeOffset.UtcNow;
        return Enumerable.Range(0, count).Select(i => new JobRecord
        {
            Id = Guid.CreateVersion7(),
            TypeName = "contended",
            DisplayName = $"{name} #{i}",
            Status = JobStatus.Queued,
            Version = 1,
            Parameters = "{}",
            CreatedAt = now,
        }).ToArray();
    }

}
