using Microsoft.Extensions.Logging;

namespace JobTracking.Sqlite.Tests;

/// <summary>A real crash: the crash host is killed with SIGKILL in the middle of its jobs, then started again on the same file.</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Jobs = 60;
    private const int Steps = 10;

    private readonly TempDatabase _database = new();

    private string Side => Path.Combine(_database.Folder, "side");

    [Fact]
    public async Task Kill_MidRun_ThenRestart_LosesNothingAndRepeatsNoCheckpointedWork()
    {
        // Arrange: run until some jobs are completed and others are mid-run, then SIGKILL.
        using (var first = CrashHostProcess.Start(_database.Path_, Side, Jobs))
        {
            await WaitWhileRunningAsync(() => Lines("completed.txt").Length >= 10 && MidRun().Count > 0, "ten completed jobs and one mid-run", first);
            await Task.Delay(Random.Shared.Next(0, 300)); // somewhere in the middle of a step, a checkpoint or a journal batch
            first.Kill();
        }

        var completedBeforeKill = Lines("completed.txt").ToHashSet();
        var executedBeforeKill = Lines("executed.txt").Length;
        var eventsBeforeKill = Lines("events.txt").Length;
        var seeded = Lines("seeded.txt").Single().Split(' ').Select(Guid.Parse).ToList();
        Dictionary<Guid, JobRecord> atKill;
        await using (var store = SqliteJobStores.Open(_database.ConnectionString))
        {
            atKill = await AllJobsAsync(store);
        }

        atKill.Keys.Should().BeEquivalentTo(seeded, "every job was stored before the kill");
        var running = atKill.Values.Where(j => j.Status == JobStatus.Running).ToList();
        var queued = atKill.Values.Where(j => j.Status == JobStatus.Queued).ToList();
        running.Should().NotBeEmpty("the kill came mid-run");
        queued.Should().NotBeEmpty("the kill came before the queue was drained");
        foreach (var id in completedBeforeKill)
        {
            atKill[Guid.Parse(id)].Status.Should().Be(JobStatus.Completed, "a completion reported by the host was durable");
        }

        // The host may have stored a completion without having reported it yet.
        var completedAtKill = atKill.Values.Where(j => j.Status == JobStatus.Completed).Select(j => j.Id).ToHashSet();
        output.WriteLine($"At the kill: {completedAtKill.Count} completed ({completedBeforeKill.Count} reported), {running.Count} running, {queued.Count} queued.");

        // Act: start again on the same file and let it finish.
        using (var second = CrashHostProcess.Start(_database.Path_, Side, Jobs))
        {
            (await second.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().Be(0, second.Error);
            second.Output.Should().Contain("done");
        }

        // Assert
        await using var store2 = SqliteJobStores.Open(_database.ConnectionString);
        var final = await AllJobsAsync(store2);
        final.Values.Should().OnlyContain(j => j.Status == JobStatus.Completed && j.Attempt == 1, "no queued or running job is lost");
        final.Keys.Should().BeEquivalentTo(seeded);
        foreach (var job in final.Values)
        {
            job.Progress.Should().Be(new JobProgress(Steps, Steps));
            job.Steps.Select(s => (s.Name, s.Status, s.Read)).Should().Equal(
                [("work", JobStepStatus.Completed, (long)Steps)],
                $"job {job.Id:N} counts each of its {Steps} steps once, even the step in flight at the kill, which ran twice");
        }

        var completions = Lines("completed.txt").Select(Guid.Parse).ToList();
        completions.Should().OnlyHaveUniqueItems("no job is completed twice");
        completions.Union(completedAtKill).Should().BeEquivalentTo(seeded);
        completions.Skip(completedBeforeKill.Count).Should().NotIntersectWith(completedAtKill, "a job completed before the crash does not complete again");

        foreach (var id in completedAtKill)
        {
            var log = await store2.ReadLogAsync(id, new JournalQuery { PageSize = 1000 });
            log.Items.Where(l => l.Level == LogLevel.Information && l.Message.StartsWith("step ", StringComparison.Ordinal)).Select(l => l.Message)
                .Should().Equal(Enumerable.Range(0, Steps).Select(s => $"step {s} done"), "a job completed before the crash keeps its full journal");
        }

        var executed = Lines("executed.txt").Select(Parse).ToList();
        var afterKill = executed.Skip(executedBeforeKill).ToList();
        afterKill.Should().NotContain(e => completedAtKill.Contains(e.Job), "completed jobs do not run again");

        foreach (var job in running)
        {
            var checkpoint = int.Parse(job.Checkpoint ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            if (job.Checkpoint is not null)
            {
                job.CheckpointReport.Should().NotBeNull("the report saved with a checkpoint is stored with it");
                job.CheckpointReport!.Steps.Single().Read.Should().Be(checkpoint, "the counters saved with checkpoint {0} are those of its {0} steps", checkpoint);
            }

            output.WriteLine($"Job {job.Id:N} at the kill: checkpoint {checkpoint}, {job.Steps.SingleOrDefault()?.Read ?? 0} reads in its last saved report.");
            var steps = executed.Where(e => e.Job == job.Id).Select(e => e.Step).ToList();
            afterKill.Where(e => e.Job == job.Id).Select(e => e.Step).Should().Equal(
                Enumerable.Range(checkpoint, Steps - checkpoint), $"job {job.Id:N} resumes from its checkpoint {checkpoint}");
            for (var s = 0; s < Steps; s++)
            {
                steps.Count(x => x == s).Should().BeInRange(1, s == checkpoint ? 2 : 1,
                    $"step {s} of job {job.Id:N} runs once (only the step in flight at the kill, {checkpoint}, may run twice)");
            }

            output.WriteLine($"Job {job.Id:N} was running at checkpoint {checkpoint}; step {checkpoint} ran {steps.Count(x => x == checkpoint)} times.");

            var events = Lines("events.txt").Skip(eventsBeforeKill).Where(l => l.StartsWith(job.Id.ToString("N"), StringComparison.Ordinal)).Select(l => l[33..]).ToList();
            events.Should().StartWith(["Running Interrupted", "Interrupted Queued", "Queued Running"], "the restarted host marks it Interrupted and queues it again");
        }

        foreach (var job in queued)
        {
            executed.Where(e => e.Job == job.Id).Select(e => e.Step).Should().Equal(Enumerable.Range(0, Steps), "a queued job runs once, after the restart");
        }
    }

    /// <summary>
    /// The writer commits the writes of every caller and worker that are waiting in one transaction: a kill in the middle
    /// of such a group (creates from 32 callers, claims and outcomes of the workers, all in flight) loses no create a
    /// caller was told of and no completion an event reported.
    /// </summary>
    [Fact]
    public async Task Kill_MidGroupCommit_LosesNothingAcknowledged()
    {
        using (var flood = CrashHostProcess.StartFlood(_database.Path_, Side, 1_000_000, callers: 32))
        {
            await WaitWhileRunningAsync(() => Lines("acknowledged.txt").Length >= 3_000 && Lines("completed.txt").Length >= 300, "3,000 creates and 300 completions acknowledged", flood);
            flood.Kill();
        }

        var acknowledged = Lines("acknowledged.txt").Select(Guid.Parse).ToList();
        var completed = Lines("completed.txt").Select(Guid.Parse).ToList();
        await using var store = SqliteJobStores.Open(_database.ConnectionString);
        var stored = await AllJobsAsync(store);

        output.WriteLine($"At the kill: {acknowledged.Count} creates and {completed.Count} completions acknowledged, {stored.Count} jobs stored.");
        stored.Keys.Should().Contain(acknowledged, "every create whose call returned was committed");
        foreach (var id in completed)
        {
            stored[id].Status.Should().Be(JobStatus.Completed, "a completion the feed reported was committed");
        }

        stored.Count.Should().BeLessThan(1_000_000, "the kill came before the callers were done");
    }

    /// <summary>
    /// Keyed starts from 32 callers, many of them repeating a key, killed mid-commit: every start that returned is stored
    /// under the id it returned, that job still holds the key, and no key names two jobs.
    /// </summary>
    [Fact]
    public async Task Kill_MidKeyedFlood_EveryAcknowledgedStartFindsItsKeyHolder()
    {
        using (var flood = CrashHostProcess.StartFlood(_database.Path_, Side, 1_000_000, callers: 32, keys: 2_000))
        {
            await WaitWhileRunningAsync(() => Lines("acknowledged.txt").Length >= 4_000, "4,000 keyed starts acknowledged, most of them repeats", flood);
            flood.Kill();
        }

        var acknowledged = Lines("acknowledged.txt").Select(l => l.Split(' ')).Select(p => (Id: Guid.Parse(p[0]), Key: p[1])).ToList();
        await using var store = SqliteJobStores.Open(_database.ConnectionString);
        var stored = await AllJobsAsync(store);

        output.WriteLine($"At the kill: {acknowledged.Count} starts acknowledged, {stored.Count} jobs stored.");
        acknowledged.Select(a => a.Key).Distinct().Count().Should().BeLessThan(acknowledged.Count, "keys were repeated before the kill");
        foreach (var (id, key) in acknowledged)
        {
            stored.Should().ContainKey(id, "a start that returned was committed");
            stored[id].IdempotencyKey.Should().Be(key, "the job a start returned holds its key (no window: held as long as it is kept)");
        }

        stored.Values.Where(j => j.IdempotencyKey is not null).GroupBy(j => j.IdempotencyKey).Should().OnlyContain(g => g.Count() == 1, "a key names one job");
        stored.Count.Should().BeLessThanOrEqualTo(2_000);
    }

    [Fact]
    public async Task SecondProcess_OnTheSameFile_FailsAtStartWithAClearMessage()
    {
        using var holder = CrashHostProcess.Start(_database.Path_, Side, 0, hold: true);
        await holder.WaitReadyAsync();

        using var second = CrashHostProcess.Start(_database.Path_, Side, 0, hold: true);
        var exitCode = await second.WaitForExitAsync(TimeSpan.FromSeconds(60));

        exitCode.Should().Be(3);
        second.Error.Should().Contain(_database.Path_).And.Contain("in use by another process").And.Contain("a file of its own");
        var inProcess = () => SqliteJobStores.Open(_database.ConnectionString);
        inProcess.Should().Throw<JobTrackingException>().WithMessage("*in use by another process*");
        holder.HasExited.Should().BeFalse("the first process keeps its store");
    }

    public void Dispose() => _database.Dispose();

    private static async Task<Dictionary<Guid, JobRecord>> AllJobsAsync(IJobQueryStore store)
    {
        var all = new Dictionary<Guid, JobRecord>();
        string? token = null;
        do
        {
            var page = await store.QueryAsync(new JobQuery { PageSize = JobQuery.MaxPageSize, PageToken = token });
            foreach (var job in page.Items)
            {
                all.Add(job.Id, job);
            }

            token = page.NextPageToken;
        }
        while (token is not null);

        return all;
    }

    private static (Guid Job, int Step) Parse(string line)
    {
        var parts = line.Split(' ');
        return (Guid.Parse(parts[0]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static Task WaitWhileRunningAsync(Func<bool> condition, string what, CrashHostProcess host) =>
        Wait.UntilAsync(
            () =>
            {
                host.HasExited.Should().BeFalse($"the crash host should still run; it wrote: {host.Error}");
                return condition();
            },
            $"the crash host to make progress: {what}",
            TimeSpan.FromSeconds(60));

    // Jobs that executed some steps but are not completed.
    private HashSet<string> MidRun()
    {
        var completed = Lines("completed.txt").ToHashSet();
        return Lines("executed.txt").Select(l => l.Split(' ')[0]).Where(id => !completed.Contains(id)).ToHashSet();
    }

    private string[] Lines(string file)
    {
        var path = Path.Combine(Side, file);
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
