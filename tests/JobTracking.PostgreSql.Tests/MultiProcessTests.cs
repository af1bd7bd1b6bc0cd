using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using JobTracking.PostgreSql.InstanceHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>Runs alone: three host processes and the server share the machine's cores, and the takeover is timed.</summary>
[CollectionDefinition(nameof(MultiProcessCollection), DisableParallelization = true)]
public sealed class MultiProcessCollection;

/// <summary>
/// Three instance hosts (tests/JobTracking.PostgreSql.InstanceHost) share one schema; one is killed with SIGKILL in the
/// middle of its jobs. The two others take over its jobs once their leases run out, resume them from their checkpoints,
/// and finish every job, each once.
/// </summary>
[Collection(nameof(MultiProcessCollection))]
[Trait("Category", "PostgreSql")]
public sealed partial class MultiProcessTests(ITestOutputHelper output)
{
    private const int Jobs = 2000;
    private const int Items = 12;
    private const int MillisecondsPerItem = 2;
    private const int CheckpointEvery = 4;
    private const int MaxConcurrency = 16;

    /// <summary>One job in this many holds on the victim after its first checkpoint (about a third of them reach it: it fills part of its slots).</summary>
    private const int HoldEvery = 50;

    /// <summary>The lease and heartbeat every instance host of these tests is started with.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);

    /// <summary>What a takeover may take beyond a lease and a heartbeat: the requeue, a claim, the first item, a loaded machine.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);

    /// <summary>The kill comes once this few jobs are left queued (the dead instance's jobs go back ahead of them once reclaimed).</summary>
    private const int QueuedAtKill = 150;

    private static readonly JobStatus[] ActiveStatuses = [JobStatus.Running, JobStatus.Pausing, JobStatus.Cancelling, JobStatus.ShuttingDown];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KillOneOfThreeInstances_TheOthersResumeItsJobsFromTheirCheckpoints_AndEveryJobCompletesOnce()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var total = Stopwatch.StartNew();
        string[] names = ["i1", "i2", "i3"];
        const string Victim = "i2";
        var hosts = names.Select(n => InstanceHostProcess.Start(schema.ConnectionStringFor(n), schema.Name, n, MaxConcurrency, Lease, Heartbeat)).ToList();
        try
        {
            await Task.WhenAll(hosts.Select(h => h.WaitReadyAsync()));
            var survivors = hosts.Where(h => h.Instance != Victim).ToList();
            output.WriteLine($"{total.Elapsed.TotalSeconds:0.0} s: three instances ready");

            // The launcher: the same job type on the same store, in a container whose host is never started, so it
            // queues jobs and reads them but runs none.
            await using var sideSource = NpgsqlDataSource.Create(schema.ConnectionString);
            var services = new ServiceCollection();
            services.AddSingleton(new SideTables(sideSource, schema.Name, "launcher"));
            services.AddJobTracking(b => b.AddJob<ItemsJob>().UsePostgreSql(schema.ConnectionString, o => o.Schema = schema.Name));
            await using var launcher = services.BuildServiceProvider();
            var runner = launcher.GetRequiredService<IJobRunner>();
            var tracker = launcher.GetRequiredService<IJobTracker>();

            // Every HoldEvery-th job, when the victim runs it, waits there after its first checkpoint: whenever the kill
            // comes, the victim holds jobs known to be mid-way (its other jobs take a few milliseconds and may finish
            // between the last look and the kill).
            var parameters = Enumerable.Range(0, Jobs)
                .Select(i => new ItemsParameters { Items = Items, MillisecondsPerItem = MillisecondsPerItem, CheckpointEvery = CheckpointEvery, HoldOn = i % HoldEvery == 0 ? Victim : null })
                .ToList();
            var ids = await runner.Job<ItemsJob>().StartManyAsync(parameters, cancellationToken: Token);
            var queuedAt = total.Elapsed;
            output.WriteLine($"{queuedAt.TotalSeconds:0.0} s: {Jobs} jobs queued");

            // Arrange: every instance runs jobs, the queue is nearly drained, and the victim runs a job that saved a
            // checkpoint and has at least two checkpoints' worth of items to go.
            IReadOnlyList<JobRecord> running = [];
            long queued = Jobs;
            await PollAsync(
                async () =>
                {
                    AssertAlive(hosts);
                    running = await ListAsync(tracker, new JobQuery { Statuses = ActiveStatuses, PageSize = JobQuery.MaxPageSize });
                    queued = (await tracker.CountAsync(Token)).Where(c => c.Status == JobStatus.Queued).Sum(c => c.Count);
                    return names.All(n => running.Any(j => j.Node == n)) && queued <= QueuedAtKill
                        && running.Any(j => j.Node == Victim && Checkpoint(j) is > 0 and <= Items - (2 * CheckpointEvery));
                },
                "every instance running jobs, the queue nearly drained, and the victim mid-job past a checkpoint",
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(50));

            var victimInstanceId = running.First(j => j.Node == Victim).InstanceId;
            hosts.Single(h => h.Instance == Victim).Kill();
            var killedAt = DateTimeOffset.UtcNow;
            var sinceKill = Stopwatch.StartNew();
            output.WriteLine($"{total.Elapsed.TotalSeconds:0.0} s: killed {Victim} ({victimInstanceId}) with {queued} jobs queued and {running.Count} running: " +
                string.Join(", ", names.Select(n => $"{n} {running.Count(j => j.Node == n)}")));

            // The dead instance's jobs, once whatever it had in flight has reached the server (a batch it sent before it died is
            // run and committed by its server process, which ends only then): still its own, well within the lease.
            await WaitUntilDisconnectedAsync(sideSource, schema.ApplicationNameOf(Victim));
            output.WriteLine($"{total.Elapsed.TotalSeconds:0.0} s: the dead instance's last connection closed, {sinceKill.Elapsed.TotalMilliseconds:0} ms after the kill");
            var orphans = await ListAsync(tracker, new JobQuery { Node = Victim, Statuses = ActiveStatuses, PageSize = JobQuery.MaxPageSize });
            sinceKill.Elapsed.Should().BeLessThan(Lease - Heartbeat, "the snapshot of the dead instance's jobs is taken before its leases can run out");
            orphans.Should().NotBeEmpty("the victim was running jobs when it was killed");
            orphans.Should().OnlyContain(j => j.Status == JobStatus.Running && j.InstanceId == victimInstanceId, "nobody takes a dead instance's jobs before their leases run out");
            var checkpointAtKill = orphans.ToDictionary(j => j.Id, Checkpoint);
            output.WriteLine($"The dead instance's jobs: " + string.Join(", ", orphans.Select(j => $"{j.Id:N} at checkpoint {checkpointAtKill[j.Id]} (progress {j.Progress.Done})")));
            checkpointAtKill.Values.Should().Contain(c => c > 0, "at least one of them had saved a checkpoint");

            // Act: the survivors reclaim them once their leases run out, and finish everything.
            await WaitUntilTakenAsync(tracker, orphans, victimInstanceId, survivors, "the dead instance's jobs to be reclaimed");
            var reclaimed = sinceKill.Elapsed;
            output.WriteLine($"{total.Elapsed.TotalSeconds:0.0} s: the dead instance's jobs reclaimed {reclaimed.TotalSeconds:0.00} s after the kill");

            await PollAsync(
                async () =>
                {
                    AssertAlive(survivors);
                    return (await tracker.CountAsync(Token)).Where(c => c.Status == JobStatus.Completed).Sum(c => c.Count) == Jobs;
                },
                $"all {Jobs} jobs to complete",
                TimeSpan.FromSeconds(120),
                TimeSpan.FromMilliseconds(100));
            output.WriteLine($"{total.Elapsed.TotalSeconds:0.0} s: all {Jobs} jobs completed, {sinceKill.Elapsed.TotalSeconds:0.0} s after the kill, " +
                $"{(total.Elapsed - queuedAt).TotalSeconds:0.0} s after they were queued");

            // Assert: every job is stored Completed, once, by one attempt that got to its last item.
            var all = await ListAsync(tracker, new JobQuery { PageSize = JobQuery.MaxPageSize });
            all.Select(j => j.Id).Order().Should().Equal(ids.Order(), "no job is lost and none appears from nowhere");
            all.Should().OnlyContain(j => j.Status == JobStatus.Completed && j.Attempt == 1 && j.Progress == new JobProgress(Items, Items),
                "every job completes in its first attempt (a takeover continues the attempt) with all its items done");
            var final = all.ToDictionary(j => j.Id);
            foreach (var orphan in orphans)
            {
                final[orphan.Id].Node.Should().BeOneOf(survivors.Select(h => h.Instance), $"the dead instance's job {orphan.Id:N} was finished by a survivor");
            }

            output.WriteLine("Completed by: " + string.Join(", ", all.GroupBy(j => j.Node).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));

            // Completions: one row per job; the one exception allowed is a job the victim finished its last item of
            // (and recorded) but was killed before the store had it Completed: that last item runs again on a survivor.
            var completions = await ReadAsync(sideSource, $"SELECT job_id, instance, at FROM {SideTables.Quote(schema.Name)}.completions",
                r => (Job: r.GetGuid(0), Instance: r.GetString(1), At: r.GetFieldValue<DateTimeOffset>(2)));
            completions.Select(c => c.Job).Distinct().Order().Should().Equal(ids.Order(), "every job records its completion");
            var repeatedLastItems = new List<Guid>();
            foreach (var rows in completions.GroupBy(c => c.Job))
            {
                var bySurvivors = rows.Where(r => r.Instance != Victim).ToList();
                bySurvivors.Should().HaveCountLessThanOrEqualTo(1, $"no two live instances complete job {rows.Key:N}");
                if (rows.Count() == 1)
                {
                    rows.Single().Instance.Should().Be(final[rows.Key].Node, $"job {rows.Key:N} records its completion on the instance the store says completed it");
                    continue;
                }

                rows.Should().HaveCount(2, $"job {rows.Key:N} completes once, or twice only when its last item was cut short by the kill");
                checkpointAtKill.Should().ContainKey(rows.Key, $"job {rows.Key:N}, completed twice, was running on the dead instance at the kill");
                rows.Where(r => r.Instance == Victim).Should().ContainSingle().Which.At.Should().BeBefore(killedAt.AddSeconds(1), "the dead instance recorded it before it died");
                bySurvivors.Single().Instance.Should().Be(final[rows.Key].Node);
                repeatedLastItems.Add(rows.Key);
            }

            // Resumes: only the dead instance's jobs were interrupted, and each that had saved a checkpoint resumed from
            // it, once, on a survivor.
            var resumes = await ReadAsync(sideSource, $"SELECT job_id, instance, from_item, at FROM {SideTables.Quote(schema.Name)}.resumes",
                r => (Job: r.GetGuid(0), Instance: r.GetString(1), FromItem: r.GetInt32(2), At: r.GetFieldValue<DateTimeOffset>(3)));
            resumes.Select(r => r.Job).Should().BeSubsetOf(checkpointAtKill.Keys, "no job but the dead instance's is interrupted");
            foreach (var (job, checkpoint) in checkpointAtKill)
            {
                var resumed = resumes.Where(r => r.Job == job).ToList();
                if (checkpoint > 0)
                {
                    resumed.Should().ContainSingle($"job {job:N} resumes once").Which.Should().Match<(Guid Job, string Instance, int FromItem, DateTimeOffset At)>(
                        r => r.FromItem == checkpoint && r.Instance == final[job].Node, $"job {job:N} resumes from its checkpoint {checkpoint} on the survivor that completed it");
                }
                else
                {
                    resumed.Should().BeEmpty($"job {job:N} had no checkpoint, so it starts over");
                }
            }

            // The change feed: the dead instance's jobs, and only they, were interrupted (once each) and claimed twice,
            // first by the victim, then by a survivor; every other job was claimed once and never changed hands.
            await using var store = await PostgreSqlJobStores.OpenAsync(schema.ConnectionString, new PostgreSqlJobStoreOptions { Schema = schema.Name }, null, Token);
            var changes = await ReadFeedAsync(store);
            var claims = changes.Where(c => c is { Kind: JobEventKind.StatusChanged, PreviousStatus: JobStatus.Queued, Status: JobStatus.Running })
                .GroupBy(c => c.JobId).ToDictionary(g => g.Key, g => g.Select(c => c.InstanceId).ToList());
            var interrupted = changes.Where(c => c.Kind == JobEventKind.StatusChanged && c.Status == JobStatus.Interrupted).ToList();
            interrupted.Select(c => c.JobId).Order().Should().Equal(checkpointAtKill.Keys.Order(), "the dead instance's jobs, and no other, are interrupted, each once");
            interrupted.Should().OnlyContain(c => c.PreviousStatus == JobStatus.Running, "a reclaim takes the job from Running");
            claims.Keys.Order().Should().Equal(ids.Order(), "every job was claimed");
            foreach (var (job, owners) in claims)
            {
                if (checkpointAtKill.ContainsKey(job))
                {
                    owners.Should().HaveCount(2, $"the dead instance's job {job:N} is claimed by it, then by a survivor");
                    owners[0].Should().Be(victimInstanceId);
                    owners[1].Should().NotBe(victimInstanceId);
                }
                else
                {
                    owners.Should().ContainSingle($"job {job:N}, not on the dead instance, is claimed once and never changes hands");
                }
            }

            // What the engine said about runs that lost their job: with the checks above, a warning about a job that
            // the same instance completed under its only claim was about a run that had just finished.
            var lostWarnings = hosts.SelectMany(h => LostOwnership().Matches(h.Error).Select(m => (h.Instance, Job: Guid.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)))).ToList();
            output.WriteLine($"{lostWarnings.Count} \"no longer owned\" warnings from the instances, {lostWarnings.Count(w => final[w.Job].Node == w.Instance && claims[w.Job].Count == 1)} " +
                "of them about a job the same instance completed under its only claim");

            // The takeover: within a lease, a heartbeat and some slack of the kill.
            var firstResume = resumes.Min(r => r.At) - killedAt;
            output.WriteLine($"Takeover: reclaimed {reclaimed.TotalSeconds:0.00} s after the kill, first resume row {firstResume.TotalSeconds:0.00} s after it; " +
                $"{resumes.Count} jobs resumed from a checkpoint, {orphans.Count - resumes.Count} started over, {repeatedLastItems.Count} repeated their last item " +
                $"({string.Join(", ", repeatedLastItems.Select(j => j.ToString("N")))}).");
            reclaimed.Should().BeLessThan(Lease + Heartbeat + Slack, "a survivor reclaims the dead instance's jobs at its first heartbeat after their leases run out");
            firstResume.Should().BeLessThan(Lease + Heartbeat + Slack, "a reclaimed job is queued again and claimed at once");

            output.WriteLine($"{total.Elapsed.TotalSeconds:0.0} s: checked");
            await Task.WhenAll(survivors.Select(h => h.StopAsync(TimeSpan.FromSeconds(15))));
            output.WriteLine($"{total.Elapsed.TotalSeconds:0.0} s: survivors stopped");
        }
        finally
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

    [GeneratedRegex(@"Job ([0-9a-f-]{36}) \(ItemsJob\) is no longer owned by this instance", RegexOptions.CultureInvariant)]
    private static partial Regex LostOwnership();

    /// <summary>Waits until the server has no connection left with the application name: a killed process's server processes end once they have run what it sent.</summary>
    private static Task WaitUntilDisconnectedAsync(NpgsqlDataSource source, string applicationName) =>
        PollAsync(
            async () =>
            {
                await using var command = source.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = @name");
                command.Parameters.AddWithValue("name", applicationName);
                return (long)(await command.ExecuteScalarAsync(Token))! == 0;
            },
            $"the server to close the connections of {applicationName}",
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(10));

    /// <summary>Waits until no connection with the application name runs a statement: a stopped process's last statements have been run.</summary>
    private static Task WaitUntilIdleAsync(NpgsqlDataSource source, string applicationName) =>
        PollAsync(
            async () =>
            {
                await using var command = source.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = @name AND state = 'active'");
                command.Parameters.AddWithValue("name", applicationName);
                return (long)(await command.ExecuteScalarAsync(Token))! == 0;
            },
            $"the server to finish the statements of {applicationName}",
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(10));

    /// <summary>Waits until none of <paramref name="jobs"/> is held by <paramref name="instanceId"/> any more, the <paramref name="alive"/> hosts running meanwhile.</summary>
    private static Task WaitUntilTakenAsync(IJobTracker tracker, IReadOnlyList<JobRecord> jobs, string? instanceId, IEnumerable<InstanceHostProcess> alive, string what) =>
        PollAsync(
            async () =>
            {
                AssertAlive(alive);
                foreach (var job in jobs)
                {
                    if ((await tracker.GetAsync(job.Id, Token)).InstanceId == instanceId)
                    {
                        return false;
                    }
                }

                return true;
            },
            what,
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(25));

    private static int Checkpoint(JobRecord job) => job.Checkpoint is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : 0;

    private static void AssertAlive(IEnumerable<InstanceHostProcess> hosts)
    {
        foreach (var host in hosts)
        {
            host.HasExited.Should().BeFalse($"instance {host.Instance} should still run; it wrote: {host.Error}");
        }
    }

    private static async Task<IReadOnlyList<JobRecord>> ListAsync(IJobTracker tracker, JobQuery query)
    {
        var all = new List<JobRecord>();
        string? token = null;
        do
        {
            var page = await tracker.ListAsync(query with { PageToken = token }, Token);
            all.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);

        return all;
    }

    private static async Task<List<JobChange>> ReadFeedAsync(IJobFeedStore feed)
    {
        var changes = new List<JobChange>();
        var buffer = new JobChange[4096];
        while (true)
        {
            var read = await feed.ReadFeedAsync(changes.Count == 0 ? 0 : changes[^1].Sequence, buffer, Token);
            if (changes.Count == 0)
            {
                read.FirstSequence.Should().Be(1, "the feed still holds every change of the test");
            }

            changes.AddRange(buffer.AsSpan(0, read.Count));
            if (read.Count == 0)
            {
                return changes;
            }
        }
    }

    private static async Task<List<T>> ReadAsync<T>(NpgsqlDataSource dataSource, string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(Token);
        var rows = new List<T>();
        while (await reader.ReadAsync(Token))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>Like <see cref="Wait.UntilAsync(Func{Task{bool}}, string, TimeSpan?)"/>, but looks again only every <paramref name="interval"/>: each look is a query.</summary>
    private static async Task PollAsync(Func<Task<bool>> condition, string what, TimeSpan timeout, TimeSpan interval)
    {
        var started = Stopwatch.GetTimestamp();
        while (!await condition())
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#} s for {what}, in vain.");
            }

            await Task.Delay(interval, Token);
        }
    }
}
