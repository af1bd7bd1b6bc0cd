using System.Diagnostics;
using JobTracking.PostgreSql.InstanceHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

public sealed partial class MultiProcessTests
{
    /// <summary>Keys of the keyed jobs in the backlog; each key's jobs must run one at a time, in the order they were queued.</summary>
    private const int BacklogKeys = 8;

    /// <summary>
    /// One of three instances killed (SIGKILL) while a backlog of keyed and unkeyed jobs waits: once the survivors reclaim
    /// its jobs, each goes back to its place in the queue, so no job queued after it is claimed while it waits, and its
    /// concurrency key goes with it in the same step, so the jobs of every key run one at a time in queue order.
    /// </summary>
    [Fact]
    public async Task KillOneOfThreeWithABacklogQueued_ItsJobsRunAgainBeforeJobsQueuedAfterThem_AndKeyedJobsKeepTheirOrder()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        string[] names = ["k1", "k2", "k3"];
        const string Victim = "k2";
        var hosts = names.Select(n => InstanceHostProcess.Start(schema.ConnectionString, schema.Name, n, maxConcurrency: 4, Lease, Heartbeat)).ToList();
        try
        {
            await Task.WhenAll(hosts.Select(h => h.WaitReadyAsync()));
            var survivors = hosts.Where(h => h.Instance != Victim).ToList();
            await using var sideSource = NpgsqlDataSource.Create(schema.ConnectionString);
            await using var launcher = Launcher(schema, sideSource);
            var runner = launcher.GetRequiredService<IJobRunner>();
            var tracker = launcher.GetRequiredService<IJobTracker>();

            // The backlog, in queue order: rounds of one job per key, then two without a key. Jobs of a second, a
            // checkpoint every fifth of it, so every instance is mid-job most of the time.
            var parameters = new ItemsParameters { Items = 10, MillisecondsPerItem = 100, CheckpointEvery = 2 };
            var queueOrder = new List<Guid>();
            var keyOf = new Dictionary<Guid, string?>();
            for (var round = 0; round < 8; round++)
            {
                foreach (var key in Enumerable.Range(0, BacklogKeys).Select(k => (string?)$"key-{k}").Append(null).Append(null))
                {
                    var id = await runner.Job<ItemsJob>().StartAsync(parameters, new JobStartOptions { ConcurrencyKey = key }, Token);
                    queueOrder.Add(id);
                    keyOf[id] = key;
                }
            }

            IReadOnlyList<JobRecord> running = [];
            long queued = 0;
            await PollAsync(
                async () =>
                {
                    AssertAlive(hosts);
                    running = await ListAsync(tracker, new JobQuery { Statuses = ActiveStatuses, PageSize = JobQuery.MaxPageSize });
                    queued = (await tracker.CountAsync(Token)).Where(c => c.Status == JobStatus.Queued).Sum(c => c.Count);
                    return queued >= 20 && running.Any(j => j.Node == Victim && j.ConcurrencyKey is not null && Checkpoint(j) is > 0 and < 8);
                },
                "the victim mid-way through a keyed job with a backlog queued",
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(25));

            var victimInstanceId = running.First(j => j.Node == Victim).InstanceId;
            hosts.Single(h => h.Instance == Victim).Kill();
            var killedAt = DateTimeOffset.UtcNow;
            output.WriteLine($"Killed {Victim} ({victimInstanceId}) with {queued} jobs queued and {running.Count} running.");

            await PollAsync(
                async () =>
                {
                    AssertAlive(survivors);
                    return (await tracker.CountAsync(Token)).Where(c => c.Status == JobStatus.Completed).Sum(c => c.Count) == queueOrder.Count;
                },
                $"all {queueOrder.Count} jobs to complete",
                TimeSpan.FromSeconds(120),
                TimeSpan.FromMilliseconds(100));

            await using var store = await PostgreSqlJobStores.OpenAsync(schema.ConnectionString, new PostgreSqlJobStoreOptions { Schema = schema.Name }, null, Token);
            var moves = (await ReadFeedAsync(store)).Where(c => c.Kind == JobEventKind.StatusChanged).ToList();
            var place = queueOrder.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
            var claims = moves.Where(c => c is { PreviousStatus: JobStatus.Queued, Status: JobStatus.Running }).ToList();
            moves.Where(c => c.Status == JobStatus.Completed).Select(c => c.JobId).Order().Should().Equal(queueOrder.Order(), "every job is stored Completed, once");

            // The dead instance's jobs: taken and queued again in one step, then claimed before any job queued after them.
            var orphans = moves.Where(c => c is { PreviousStatus: JobStatus.Running, Status: JobStatus.Interrupted }).ToList();
            orphans.Should().NotBeEmpty("the victim was running jobs when it was killed");
            var ranAgain = new List<TimeSpan>();
            foreach (var taken in orphans)
            {
                var requeued = moves.Single(c => c.JobId == taken.JobId && c is { PreviousStatus: JobStatus.Interrupted, Status: JobStatus.Queued });
                var reclaim = claims.Last(c => c.JobId == taken.JobId);
                claims.Should().NotContain(c => c.Sequence > taken.Sequence && c.Sequence < requeued.Sequence, $"job {taken.JobId:N} is queued again in the step that takes it");
                reclaim.Sequence.Should().BeGreaterThan(requeued.Sequence);
                reclaim.InstanceId.Should().NotBe(victimInstanceId);
                claims.Where(c => c.Sequence > requeued.Sequence && c.Sequence < reclaim.Sequence && place[c.JobId] > place[taken.JobId])
                    .Should().BeEmpty($"job {taken.JobId:N} went back to its place: no job queued after it was claimed while it waited");
                ranAgain.Add(reclaim.At - killedAt);
            }

            // Every key's jobs ran one at a time, in queue order (a job taken from the dead instance ran again before the next of its key).
            foreach (var key in keyOf.Values.Where(k => k is not null).Distinct())
            {
                var order = new List<int>();
                Guid? active = null;
                foreach (var move in moves.Where(c => keyOf[c.JobId] == key))
                {
                    if (move is { PreviousStatus: JobStatus.Queued, Status: JobStatus.Running })
                    {
                        active.Should().BeNull($"no two jobs of {key} are active at once");
                        active = move.JobId;
                        if (order.Count == 0 || order[^1] != place[move.JobId])
                        {
                            order.Add(place[move.JobId]);
                        }
                    }
                    else if (move.JobId == active && !JobLifecycle.IsActive(move.Status))
                    {
                        active = null;
                    }
                }

                order.Should().BeInAscendingOrder($"the jobs of {key} run in the order they were queued").And.OnlyHaveUniqueItems();
            }

            var requeuedAt = orphans.Select(c => c.At - killedAt).ToList();
            output.WriteLine($"{orphans.Count} jobs of the dead instance: reclaimed and queued again {requeuedAt.Min().TotalSeconds:0.00}–{requeuedAt.Max().TotalSeconds:0.00} s " +
                $"after the kill, running again {ranAgain.Min().TotalSeconds:0.00}–{ranAgain.Max().TotalSeconds:0.00} s after it (lease {Lease.TotalSeconds:0} s, heartbeat {Heartbeat.TotalSeconds:0} s).");
            await Task.WhenAll(survivors.Select(h => h.StopAsync(TimeSpan.FromSeconds(15))));
        }
        finally
        {
            DisposeAll(hosts);
        }
    }

    /// <summary>
    /// One of three instances stopped the orderly way and not started again: its jobs reach a safe point and are stored
    /// Interrupted with their checkpoints by the stopping instance itself (no lease runs out), and the live instances
    /// queue them again at their next heartbeat and finish them from those checkpoints.
    /// </summary>
    [Fact]
    public async Task StopOneOfThreeCleanly_TheLiveInstancesResumeItsInterruptedJobsFromTheirCheckpoints()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        string[] names = ["s1", "s2", "s3"];
        const string Stopped = "s2";
        var hosts = names.Select(n => InstanceHostProcess.Start(schema.ConnectionString, schema.Name, n, maxConcurrency: 4, Lease, Heartbeat)).ToList();
        try
        {
            await Task.WhenAll(hosts.Select(h => h.WaitReadyAsync()));
            var stopped = hosts.Single(h => h.Instance == Stopped);
            var live = hosts.Where(h => h != stopped).ToList();
            await using var sideSource = NpgsqlDataSource.Create(schema.ConnectionString);
            await using var launcher = Launcher(schema, sideSource);
            var runner = launcher.GetRequiredService<IJobRunner>();
            var tracker = launcher.GetRequiredService<IJobTracker>();

            // Jobs of 40 items of 50 ms, a safe point with a checkpoint every 4: every instance is mid-job when one stops.
            var ids = await runner.Job<ItemsJob>().StartManyAsync(
                Enumerable.Repeat(new ItemsParameters { Items = 40, MillisecondsPerItem = 50, CheckpointEvery = 4 }, 24).ToList(), cancellationToken: Token);
            IReadOnlyList<JobRecord> held = [];
            await PollAsync(
                async () =>
                {
                    AssertAlive(hosts);
                    held = await ListAsync(tracker, new JobQuery { Node = Stopped, Statuses = ActiveStatuses, PageSize = JobQuery.MaxPageSize });
                    return held.Any(j => Checkpoint(j) is > 0 and < 32);
                },
                "the instance to stop running a job past a checkpoint",
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(25));

            var stoppedInstanceId = held[0].InstanceId;
            var stopAt = DateTimeOffset.UtcNow;
            var stopping = Stopwatch.StartNew();
            await stopped.StopAsync(TimeSpan.FromSeconds(20));
            stopped.HasExited.Should().BeTrue($"instance {Stopped} stops within its shutdown time");
            output.WriteLine($"Stopped '{Stopped}' ({stoppedInstanceId}) in {stopping.Elapsed.TotalSeconds:0.00} s; it was running {held.Count} jobs.");

            await PollAsync(
                async () =>
                {
                    AssertAlive(live);
                    return (await tracker.CountAsync(Token)).Where(c => c.Status == JobStatus.Completed).Sum(c => c.Count) == ids.Count;
                },
                "every job to complete on the live instances",
                TimeSpan.FromSeconds(90),
                TimeSpan.FromMilliseconds(100));

            await using var store = await PostgreSqlJobStores.OpenAsync(schema.ConnectionString, new PostgreSqlJobStoreOptions { Schema = schema.Name }, null, Token);
            var moves = (await ReadFeedAsync(store)).Where(c => c.Kind == JobEventKind.StatusChanged).ToList();
            moves.Where(c => c.Status == JobStatus.Completed).Select(c => c.JobId).Order().Should().Equal(ids.Order(), "every job is stored Completed, once");
            var claims = moves.Where(c => c is { PreviousStatus: JobStatus.Queued, Status: JobStatus.Running }).ToList();

            // Interrupted by the stopping instance itself: at a safe point (from ShuttingDown), or before it started (from Running).
            var interrupted = moves.Where(c => c.Status == JobStatus.Interrupted).ToList();
            interrupted.Should().OnlyContain(
                c => claims.Last(claim => claim.JobId == c.JobId && claim.Sequence < c.Sequence).InstanceId == stoppedInstanceId,
                "only the stopped instance's jobs are interrupted");
            var midway = held.First(j => Checkpoint(j) is > 0 and < 32);
            interrupted.Should().Contain(c => c.JobId == midway.Id && c.PreviousStatus == JobStatus.ShuttingDown, "the job it was running mid-way stopped at a safe point");
            var requeuedAfter = new List<TimeSpan>();
            var resumedAfter = new List<TimeSpan>();
            foreach (var stop in interrupted)
            {
                var path = moves.Where(c => c.JobId == stop.JobId && c.Sequence > stop.Sequence).Select(c => (c.Status, c.InstanceId)).ToList();
                path.Select(p => p.Status).Should().Equal([JobStatus.Queued, JobStatus.Running, JobStatus.Completed], $"job {stop.JobId:N} was queued again and finished by a live instance");
                path[1].InstanceId.Should().NotBe(stoppedInstanceId);
                var resumedFrom = await ReadAsync(sideSource, $"SELECT instance, from_item FROM {SideTables.Quote(schema.Name)}.resumes WHERE job_id = '{stop.JobId}'", r => (Instance: r.GetString(0), FromItem: r.GetInt32(1)));
                if (stop.PreviousStatus == JobStatus.ShuttingDown)
                {
                    resumedFrom.Should().ContainSingle($"job {stop.JobId:N} resumes once, from its checkpoint").Which.Should().Match<(string Instance, int FromItem)>(
                        r => r.FromItem > 0 && r.Instance != Stopped);
                }

                requeuedAfter.Add(moves.First(c => c.JobId == stop.JobId && c.Sequence > stop.Sequence && c.Status == JobStatus.Queued).At - stopAt);
                resumedAfter.Add(moves.First(c => c.JobId == stop.JobId && c.Sequence > stop.Sequence && c.Status == JobStatus.Running).At - stopAt);
            }

            output.WriteLine($"{interrupted.Count} jobs stored Interrupted by the stopping instance, queued again by a live one " +
                $"{requeuedAfter.Min().TotalSeconds:0.00}–{requeuedAfter.Max().TotalSeconds:0.00} s after the stop began and running again " +
                $"{resumedAfter.Min().TotalSeconds:0.00}–{resumedAfter.Max().TotalSeconds:0.00} s after it, once a slot was free (heartbeat {Heartbeat.TotalSeconds:0} s).");
            await Task.WhenAll(live.Select(h => h.StopAsync(TimeSpan.FromSeconds(15))));
        }
        finally
        {
            DisposeAll(hosts);
        }
    }

    /// <summary>The launcher: the same job type on the same store, in a container whose host is never started, so it queues jobs and reads them but runs none.</summary>
    private static ServiceProvider Launcher(TestSchema schema, NpgsqlDataSource sideSource)
    {
        var services = new ServiceCollection();
        services.AddSingleton(new SideTables(sideSource, schema.Name, "launcher"));
        services.AddJobTracking(b => b.AddJob<ItemsJob>().UsePostgreSql(schema.ConnectionString, o => o.Schema = schema.Name));
        return services.BuildServiceProvider();
    }

    private void DisposeAll(IEnumerable<InstanceHostProcess> hosts)
    {
        foreach (var host in hosts)
        {
            if (host.Error.Length > 0)
            {
                output.WriteLine($"{host.Instance} wrote to standard error:{Environment.NewLine}{host.Error}");
            }

            host.Dispose();
        }
    }
}
