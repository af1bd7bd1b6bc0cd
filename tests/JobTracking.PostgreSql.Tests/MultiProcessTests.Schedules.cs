using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

public sealed partial class MultiProcessTests
{
    private const string EverySecond = "every-second";

    /// <summary>The instances' <c>SchedulePollInterval</c> (the default): an occurrence dealt with within it of its time is on time.</summary>
    private static readonly TimeSpan SchedulePoll = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Three instances declare the same every-second schedule with AddSchedule and fire it with no leader; one is killed
    /// (SIGKILL) 20 s into it, at a whole second, when the instances fire that second's occurrence. From the schedule's
    /// first occurrence to its last recorded one (55 s or more), every second started exactly one job: none twice, and
    /// none missed but where the misfire rule allows it (an occurrence dealt with more than a poll interval late).
    /// </summary>
    [Fact]
    public async Task ThreeInstancesFiringOneEverySecondSchedule_OneKilledMidway_EveryOccurrenceStartsExactlyOneJob()
    {
        PostgresServer.Require();
        await using var schema = await PostgresServer.NewSchemaAsync(Token);
        var total = Stopwatch.StartNew();
        string[] names = ["s1", "s2", "s3"];
        const string Victim = "s2";
        var killAfter = TimeSpan.FromSeconds(20);
        var window = TimeSpan.FromSeconds(55);
        var hosts = names.Select(n => InstanceHostProcess.Start(schema.ConnectionString, schema.Name, n, maxConcurrency: 4, Lease, Heartbeat,
            "--schedule", EverySecond, "--schedule-poll-ms", ((int)SchedulePoll.TotalMilliseconds).ToString(CultureInfo.InvariantCulture))).ToList();
        try
        {
            await Task.WhenAll(hosts.Select(h => h.WaitReadyAsync()));
            var survivors = hosts.Where(h => h.Instance != Victim).ToList();
            await using var dataSource = NpgsqlDataSource.Create(schema.ConnectionString);
            output.WriteLine($"{total.Elapsed.TotalSeconds:0.0} s: three instances ready");

            // The schedule's first occurrence is the first after it was created (by whichever instance declared it first).
            var created = (await ReadScheduleAsync(dataSource)).CreatedAt;
            var first = NextSecond(created);

            await WaitForOccurrenceAsync(dataSource, first + killAfter, hosts, "the occurrence at which the victim is killed");

            // The instances wake at each whole second: a kill just after one lands while they fire its occurrence.
            await Task.Delay(TimeSpan.FromMilliseconds(1010 - DateTimeOffset.UtcNow.Millisecond), Token);
            hosts.Single(h => h.Instance == Victim).Kill();
            var killedAt = DateTimeOffset.UtcNow;
            output.WriteLine($"{total.Elapsed.TotalSeconds:0.0} s: killed {Victim} at {killedAt:HH:mm:ss.fff}, {(killedAt - first).TotalSeconds:0.0} s after the first occurrence ({first:HH:mm:ss})");

            await WaitForOccurrenceAsync(dataSource, first + window, survivors, "the end of the window");
            await Task.WhenAll(survivors.Select(h => h.StopAsync(TimeSpan.FromSeconds(15))));
            output.WriteLine($"{total.Elapsed.TotalSeconds:0.0} s: survivors stopped");

            // Assert, from the database: every job is one occurrence's, and no occurrence has two.
            var schedule = await ReadScheduleAsync(dataSource);
            var last = schedule.LastOccurrence ?? throw new InvalidOperationException("The schedule never recorded an occurrence.");
            var jobs = await ReadAsync(dataSource, "SELECT id, idempotency_key, created_at FROM jobs",
                r => (Id: r.GetGuid(0), Key: r.IsDBNull(1) ? null : r.GetString(1), CreatedAt: new DateTimeOffset(r.GetInt64(2), TimeSpan.Zero)));
            var occurrenceOf = jobs.ToDictionary(j => j.Id, j => OccurrenceOf(j.Key));
            var unkeyed = jobs.Count(j => occurrenceOf[j.Id] is null);
            unkeyed.Should().Be(0, $"every job carries the key schedule:{EverySecond}@<occurrence in UTC>; {unkeyed} of {jobs.Count} jobs, for {(last - first).TotalSeconds + 1} occurrences, do not");
            var byOccurrence = jobs.GroupBy(j => occurrenceOf[j.Id]!.Value).ToDictionary(g => g.Key, g => g.ToList());
            var repeated = byOccurrence.Where(o => o.Value.Count > 1).OrderBy(o => o.Key).Select(o => $"{o.Key:HH:mm:ss} {o.Value.Count} jobs").ToList();
            repeated.Should().BeEmpty($"no occurrence starts two jobs; {repeated.Count} of {byOccurrence.Count} did: {string.Join(", ", repeated)}");

            // Every second of the window has its job, but for occurrences the misfire rule collapses: a run of missed ones
            // (its first older than a poll interval when the loop dealt with it) ends with one job for its latest
            // (RunOnce), itself at least a poll interval older than that job.
            var seconds = (int)(last - first).TotalSeconds + 1;
            seconds.Should().BeGreaterThanOrEqualTo((int)window.TotalSeconds + 1, "the survivors fired the whole window");
            byOccurrence.Keys.Should().OnlyContain(o => o >= first, "no job precedes the schedule's first occurrence");
            byOccurrence.Keys.Where(o => o > last).Should().BeSubsetOf([last.AddSeconds(1)],
                "beyond the last recorded occurrence, only the next one may have a job: started by an instance that stopped before recording it");
            byOccurrence.Should().ContainKey(last, "the last recorded occurrence started its job");
            byOccurrence[last].Single().Id.Should().Be(schedule.LastJobId!.Value, "the schedule records the last occurrence's job");
            var gaps = new List<string>();
            DateTimeOffset? missedFrom = null;
            for (var occurrence = first; occurrence <= last; occurrence = occurrence.AddSeconds(1))
            {
                if (!byOccurrence.TryGetValue(occurrence, out var started))
                {
                    missedFrom ??= occurrence;
                    continue;
                }

                if (missedFrom is { } from)
                {
                    var job = started.Single();
                    gaps.Add($"{from:HH:mm:ss}–{occurrence.AddSeconds(-1):HH:mm:ss}, then {occurrence:HH:mm:ss} started at {job.CreatedAt:HH:mm:ss.fff}");
                    from.Should().BeBefore(job.CreatedAt - SchedulePoll, $"occurrences from {from:HH:mm:ss} were missed: the loop dealt with them more than a poll interval late");
                    occurrence.Should().BeOnOrBefore(job.CreatedAt - SchedulePoll, $"the job after the missed occurrences is for the latest of them (RunOnce)");
                    missedFrom = null;
                }
            }

            jobs.Where(j => j.Key != string.Create(CultureInfo.InvariantCulture, $"schedule:{EverySecond}@{occurrenceOf[j.Id]!.Value.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ}"))
                .Select(j => j.Key).Should().BeEmpty("each job's key is exactly schedule:{id}@{occurrence in UTC}, the same whichever instance started it");

            output.WriteLine($"Window {first:HH:mm:ss}–{last:HH:mm:ss} UTC: {seconds} occurrences, {byOccurrence.Count(o => o.Key <= last)} with a job, " +
                $"{byOccurrence.Count(o => o.Key > last)} after it; {jobs.Count} jobs, {byOccurrence.Count(o => o.Value.Count > 1)} occurrences with two or more; " +
                $"{gaps.Count} runs of missed occurrences{(gaps.Count > 0 ? ": " + string.Join("; ", gaps) : string.Empty)}");
            var lateness = jobs.Where(j => occurrenceOf[j.Id] <= last).Select(j => (j.CreatedAt - occurrenceOf[j.Id]!.Value).TotalMilliseconds).Order().ToList();
            output.WriteLine($"Started after its occurrence by: median {lateness[lateness.Count / 2]:0} ms, max {lateness[^1]:0} ms");
            output.WriteLine("Occurrences recorded (the compare-and-set won) by: " +
                string.Join(", ", hosts.Select(h => $"{h.Instance} {Recorded().Matches(h.Error).Count}{(h.Instance == Victim ? " (before the kill, as far as its log got out)" : string.Empty)}")));
            output.WriteLine($"{total.Elapsed.TotalSeconds:0.0} s: checked");
        }
        finally
        {
            foreach (var host in hosts)
            {
                var error = string.Join(Environment.NewLine, host.Error.Split(Environment.NewLine).Where(l => !l.StartsWith("info: ", StringComparison.Ordinal) && !Recorded().IsMatch(l)));
                if (error.Trim().Length > 0)
                {
                    output.WriteLine($"{host.Instance} wrote to standard error:{Environment.NewLine}{error}");
                }

                host.Dispose();
            }
        }
    }

    /// <summary>The first whole second strictly after <paramref name="time"/>: the next occurrence of <c>* * * * * *</c>.</summary>
    private static DateTimeOffset NextSecond(DateTimeOffset time) =>
        new DateTimeOffset(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(1);

    /// <summary>The occurrence a schedule job's idempotency key names, or <see langword="null"/> when the key is not one of <see cref="EverySecond"/>'s.</summary>
    private static DateTimeOffset? OccurrenceOf(string? key) =>
        key is not null && OccurrenceKey().Match(key) is { Success: true } match
            ? DateTimeOffset.ParseExact(match.Groups[1].Value, "yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)
            : null;

    [GeneratedRegex(@"Schedule every-second started job [0-9a-f-]{36} for its occurrence at ", RegexOptions.CultureInvariant)]
    private static partial Regex Recorded();

    // Not anchored at the end: a key that differed per instance (a bug) would still be read as its occurrence's, and
    // counted as a second job of it.
    [GeneratedRegex(@"^schedule:every-second@(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z)", RegexOptions.CultureInvariant)]
    private static partial Regex OccurrenceKey();

    private static async Task<(DateTimeOffset CreatedAt, DateTimeOffset? LastOccurrence, Guid? LastJobId)> ReadScheduleAsync(NpgsqlDataSource dataSource)
    {
        var rows = await ReadAsync(dataSource, $"SELECT created_at, last_occurrence, last_job_id FROM job_schedules WHERE id = '{EverySecond}'",
            r => (r.GetFieldValue<DateTimeOffset>(0), r.IsDBNull(1) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(1), r.IsDBNull(2) ? (Guid?)null : r.GetGuid(2)));
        return rows.Should().ContainSingle($"the instances declared the schedule '{EverySecond}' at start-up").Which;
    }

    /// <summary>Waits until the schedule has recorded <paramref name="occurrence"/> (or a later one), the <paramref name="alive"/> hosts running meanwhile.</summary>
    private static Task WaitForOccurrenceAsync(NpgsqlDataSource dataSource, DateTimeOffset occurrence, IEnumerable<InstanceHostProcess> alive, string what) =>
        PollAsync(
            async () =>
            {
                AssertAlive(alive);
                return (await ReadScheduleAsync(dataSource)).LastOccurrence >= occurrence;
            },
            $"{what} ({occurrence:HH:mm:ss} recorded)",
            occurrence - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(100));
}
