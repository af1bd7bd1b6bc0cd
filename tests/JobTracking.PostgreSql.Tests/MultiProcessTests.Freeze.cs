using System.Diagnostics;
using System.Globalization;
using JobTracking.PostgreSql.InstanceHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

public sealed partial class MultiProcessTests
{
    /// <summary>
    /// An instance frozen (SIGSTOP) past its leases while it runs jobs: the other instance takes them over and finishes them;
    /// when the frozen one wakes (SIGCONT), its late writes carry its old claims and are refused, it stops those runs,
    /// and no job is stored Completed twice. It then goes on taking work.
    /// </summary>
    [Fact]
    public async Task InstanceFrozenPastItsLeases_ThenWoken_ItsLateWritesAreRefused_AndNothingCompletesTwice()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        const string Frozen = "frozen";
        var hosts = new[] { Frozen, "awake" }.Select(n => InstanceHostProcess.Start(schema.ConnectionStringFor(n), schema.Name, n, maxConcurrency: 4, Lease, Heartbeat)).ToList();
        var frozen = hosts[0];
        var thawed = false;
        try
        {
            await Task.WhenAll(hosts.Select(h => h.WaitReadyAsync()));
            await using var sideSource = NpgsqlDataSource.Create(schema.ConnectionString);
            var services = new ServiceCollection();
            services.AddSingleton(new SideTables(sideSource, schema.Name, "launcher"));
            services.AddJobTracking(b => b.AddJob<ItemsJob>().UsePostgreSql(schema.ConnectionString, o => o.Schema = schema.Name));
            await using var launcher = services.BuildServiceProvider();
            var runner = launcher.GetRequiredService<IJobRunner>();
            var tracker = launcher.GetRequiredService<IJobTracker>();

            // Jobs long enough (40 items of 50 ms, a checkpoint every 4) that the frozen instance is mid-job when it stops.
            var ids = await runner.Job<ItemsJob>().StartManyAsync(
                Enumerable.Repeat(new ItemsParameters { Items = 40, MillisecondsPerItem = 50, CheckpointEvery = 4 }, 12).ToList(), cancellationToken: Token);
            IReadOnlyList<JobRecord> held = [];
            await PollAsync(
                async () =>
                {
                    AssertAlive(hosts);
                    held = await ListAsync(tracker, new JobQuery { Node = Frozen, Statuses = ActiveStatuses, PageSize = JobQuery.MaxPageSize });
                    return held.Any(j => Checkpoint(j) > 0);
                },
                "the instance to freeze running a job past a checkpoint",
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(50));

            await frozen.FreezeAsync();
            var frozenAt = Stopwatch.StartNew();
            var frozenInstance = held[0].InstanceId;

            // What it sent before it stopped is still run by the server: its jobs are read once none of its connections is busy.
            await WaitUntilIdleAsync(sideSource, schema.ApplicationNameOf(Frozen));
            held = await ListAsync(tracker, new JobQuery { Node = Frozen, Statuses = ActiveStatuses, PageSize = JobQuery.MaxPageSize });
            output.WriteLine($"Froze '{Frozen}' ({frozenInstance}) running {held.Count} jobs: " + string.Join(", ", held.Select(j => $"{j.Id:N} at checkpoint {Checkpoint(j)}")));

            // The awake instance takes the frozen one's jobs once their leases run out.
            await WaitUntilTakenAsync(tracker, held, frozenInstance, hosts.Skip(1), "the awake instance to take over the frozen one's jobs");
            output.WriteLine($"Taken over {frozenAt.Elapsed.TotalSeconds:0.00} s after the freeze.");
            frozenAt.Elapsed.Should().BeLessThan(Lease + Heartbeat + Slack, "the frozen instance's leases run out and the awake one reclaims them at its next heartbeat");

            // Woken: its runs find their claims gone at their next write (a report, a checkpoint, the final status) and stop.
            await frozen.ThawAsync();
            thawed = true;
            await PollAsync(
                async () => (await tracker.CountAsync(Token)).Where(c => c.Status == JobStatus.Completed).Sum(c => c.Count) == ids.Count,
                "every job to complete",
                TimeSpan.FromSeconds(90),
                TimeSpan.FromMilliseconds(100));
            await PollAsync(
                () => Task.FromResult(held.All(job => frozen.Error.Contains(job.Id.ToString(), StringComparison.Ordinal))),
                "the woken instance to say each of its old runs lost its job",
                TimeSpan.FromSeconds(30),
                TimeSpan.FromMilliseconds(100));
            foreach (var match in LostOwnership().Matches(frozen.Error).Cast<System.Text.RegularExpressions.Match>())
            {
                output.WriteLine($"'{Frozen}' after waking: {match.Value}");
            }

            await using var store = await PostgreSqlJobStores.OpenAsync(schema.ConnectionString, new PostgreSqlJobStoreOptions { Schema = schema.Name }, null, Token);
            var changes = await ReadFeedAsync(store);
            var completions = changes.Where(c => c is { Kind: JobEventKind.StatusChanged, Status: JobStatus.Completed }).GroupBy(c => c.JobId).ToDictionary(g => g.Key, g => g.Count());
            completions.Keys.Order().Should().Equal(ids.Order(), "every job was stored Completed");
            completions.Values.Should().OnlyContain(n => n == 1, "no job was stored Completed twice: the frozen instance's late final writes carried claims that were no longer current");
            foreach (var job in held)
            {
                // Reclaimed once, then claimed anew (by either instance: the woken one may take it back under a new claim)
                // and completed under that claim; the old run's writes never landed.
                var moves = changes.Where(c => c.JobId == job.Id && c.Kind == JobEventKind.StatusChanged).Select(c => c.Status).ToList();
                moves.Should().Equal([JobStatus.Running, JobStatus.Interrupted, JobStatus.Queued, JobStatus.Running, JobStatus.Completed],
                    $"job {job.Id:N} was claimed, taken from the frozen instance, queued again, claimed anew and completed once");
                // A job frozen before its first checkpoint starts over, and records no resume.
                var resumedFrom = await ReadAsync(sideSource, $"SELECT from_item FROM \"{schema.Name}\".resumes WHERE job_id = '{job.Id}'", r => r.GetInt32(0));
                if (Checkpoint(job) > 0)
                {
                    resumedFrom.Should().ContainSingle($"job {job.Id:N} ran again once, from its checkpoint").Which.Should().BeGreaterThanOrEqualTo(Checkpoint(job));
                }
                else
                {
                    resumedFrom.Should().BeEmpty($"job {job.Id:N}, frozen before its first checkpoint, started over");
                }
            }

            var running = await ListAsync(tracker, new JobQuery { Statuses = ActiveStatuses, PageSize = JobQuery.MaxPageSize });
            running.Should().BeEmpty();
            AssertAlive(hosts);

            // Still a working instance: it takes new work.
            var after = await runner.Job<ItemsJob>().StartManyAsync(
                Enumerable.Repeat(new ItemsParameters { Items = 2, MillisecondsPerItem = 200, CheckpointEvery = 1 }, 8).ToList(), cancellationToken: Token);
            await PollAsync(
                async () => (await Task.WhenAll(after.Select(id => tracker.GetAsync(id, Token).AsTask()))).All(j => j.Status == JobStatus.Completed),
                "the jobs started after the thaw to complete",
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(100));
            var nodes = (await Task.WhenAll(after.Select(id => tracker.GetAsync(id, Token).AsTask()))).Select(j => j.Node).ToList();
            output.WriteLine($"After the thaw: {string.Join(", ", nodes.GroupBy(n => n).Select(g => $"{g.Key} {g.Count()}"))}.");
            nodes.Should().Contain(Frozen, "the woken instance takes work again");
            await Task.WhenAll(hosts.Select(h => h.StopAsync(TimeSpan.FromSeconds(15))));
        }
        finally
        {
            if (!thawed)
            {
                await frozen.ThawAsync();
            }

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
}
