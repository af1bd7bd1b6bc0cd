using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Dashboard.Tests;

public sealed class LiveEventsTests
{
    [Fact]
    public async Task Events_StreamStartAndFinish_AsServerSentEvents()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var client = host.Client();
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/jobs/events"), HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        (await ReadFrameAsync(reader)).Should().Contain(": open", "the stream says it is open before any event");

        var id = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters(), new JobStartOptions { DisplayName = "<b>Streamed</b>" });
        var events = new List<JsonElement>();
        var deadline = DateTime.UtcNow + Wait.DefaultTimeout;
        while (!events.Any(e => e.GetProperty("finished").GetBoolean()))
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the job's events arrive in time (heartbeats alone do not count)");
            var frame = await ReadFrameAsync(reader);
            if (frame.Split('\n').Contains("event: job"))
            {
                frame.Should().StartWith("id: ", "each event carries its change-feed sequence");
                events.Add(JsonDocument.Parse(frame.Split('\n').Single(l => l.StartsWith("data: ", StringComparison.Ordinal))[6..]).RootElement);
            }
        }

        events.Should().OnlyContain(e => e.GetProperty("id").GetGuid() == id);
        events.Should().Contain(e => e.GetProperty("started").GetBoolean() && e.GetProperty("statusLabel").GetString() == "Execution in progress");
        var finished = events.Last();
        finished.GetProperty("statusLabel").GetString().Should().Be("Finished with warnings");
        finished.GetProperty("warningCount").GetInt32().Should().BeGreaterThan(0);
        finished.GetProperty("displayName").GetString().Should().Be("<b>Streamed</b>");
    }

    [Fact]
    public async Task Events_CarryTheJobsVersion_SoAPageKeepsTheNewerOfAnEventAndARow()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var client = host.Client();
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/jobs/events"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadFrameAsync(reader);

        var id = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters());
        var events = new List<JsonElement>();
        while (!events.Any(e => e.GetProperty("finished").GetBoolean()))
        {
            var frame = await ReadFrameAsync(reader);
            if (frame.Split('\n').Contains("event: job"))
            {
                events.Add(JsonDocument.Parse(frame.Split('\n').Single(l => l.StartsWith("data: ", StringComparison.Ordinal))[6..]).RootElement);
            }
        }

        var statuses = events.Where(e => e.GetProperty("kind").GetString() == "status").ToList();
        statuses[0].GetProperty("created").GetBoolean().Should().BeTrue();
        statuses[0].GetProperty("version").GetInt64().Should().Be(1);
        statuses.Skip(1).Should().OnlyContain(e => !e.GetProperty("created").GetBoolean());
        statuses.Select(e => e.GetProperty("version").GetInt64()).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        events.Last().GetProperty("version").GetInt64().Should().Be((await host.Tracker.GetAsync(id)).Version, "the last event's version is the stored one");
    }

    [Fact]
    public async Task Events_ForOneJob_SkipOtherJobs_AndABadIdIsRefused()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var client = host.Client();
        var followed = await host.StartGateJobAsync("Followed");
        await host.WaitForAsync(followed, JobStatus.Running);
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/jobs/events?job={followed}"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadFrameAsync(reader);

        var other = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters());
        await host.WaitForAsync(other, JobStatus.Completed);
        await host.Runner.CancelAsync(followed);
        var frame = await ReadFrameAsync(reader);
        var bad = await client.GetAsync("/jobs/events?job=nope");

        frame.Should().Contain(followed.ToString()).And.NotContain(other.ToString());
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Events_ReconnectWithLastEventId_ReceivesWhatWasMissed()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var client = host.Client();
        long firstId;
        Guid id;
        using (var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/jobs/events"), HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            await ReadFrameAsync(reader);
            id = await host.StartGateJobAsync("Resumed reader");
            var frame = await ReadFrameAsync(reader);
            frame.Should().StartWith("id: ");
            firstId = long.Parse(frame.Split('\n')[0]["id: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        }

        // While the reader is away, the job runs to its end.
        host.Gate.Open();
        await host.WaitForAsync(id, JobStatus.Completed);
        var reconnect = new HttpRequestMessage(HttpMethod.Get, "/jobs/events");
        reconnect.Headers.Add("Last-Event-ID", firstId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var resumed = await client.SendAsync(reconnect, HttpCompletionOption.ResponseHeadersRead);
        using var resumedReader = new StreamReader(await resumed.Content.ReadAsStreamAsync());
        await ReadFrameAsync(resumedReader);
        var ids = new List<long>();
        var statuses = new List<string>();
        var resumeDeadline = DateTime.UtcNow + Wait.DefaultTimeout;
        while (!statuses.Contains("Completed"))
        {
            DateTime.UtcNow.Should().BeBefore(resumeDeadline, "the missed events arrive in time");
            var frame = await ReadFrameAsync(resumedReader);
            var lines = frame.Split('\n');
            ids.Add(long.Parse(lines[0]["id: ".Length..], System.Globalization.CultureInfo.InvariantCulture));
            statuses.Add(JsonDocument.Parse(lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))[6..]).RootElement.GetProperty("status").GetString()!);
        }

        ids.Should().BeInAscendingOrder().And.OnlyContain(i => i > firstId);
        statuses.Should().Contain("Running").And.EndWith("Completed");
        var bad = new HttpRequestMessage(HttpMethod.Get, "/jobs/events");
        bad.Headers.Add("Last-Event-ID", "yesterday");
        (await client.SendAsync(bad)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Events_AReaderWhoMayNotAct_GetsNoErrorMessage_AnOperatorDoes()
    {
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true);
        var readerErrors = await FailedJobErrorAsync(host, host.Client("203.0.113.8", "rita", "reader"));
        var operatorErrors = await FailedJobErrorAsync(host, host.Client("203.0.113.7", "olga", "operator"));

        readerErrors.Should().BeNull("error messages are for those who may act unless the host opts in");
        operatorErrors.Should().Be(FailJob.Message);
    }

    // Starts a failing job while the client reads the stream, and returns the error the Failed event carried.
    private static async Task<string?> FailedJobErrorAsync(DashboardTestHost host, DashboardClient client)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/jobs/events"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadFrameAsync(reader);
        var id = await host.Runner.Job<FailJob>().StartAsync(new FailParameters());
        while (true)
        {
            var data = JsonDocument.Parse((await ReadFrameAsync(reader)).Split('\n').Single(l => l.StartsWith("data: ", StringComparison.Ordinal))[6..]).RootElement;
            if (data.GetProperty("id").GetGuid() == id && data.GetProperty("status").GetString() == "Failed")
            {
                return data.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null;
            }
        }
    }

    [Fact]
    public async Task Events_ReconnectTooFarBehind_GetsReloadInsteadOfAReplay_ANearOneIsReplayed()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var ids = await host.Runner.Job<FailJob>().StartManyAsync(Enumerable.Range(0, 700).Select(_ => new FailParameters()).ToList());
        foreach (var id in ids)
        {
            await host.WaitForAsync(id, JobStatus.Failed);
        }

        var client = host.Client();
        var latest = await host.Services.GetRequiredService<JobTracking.Storage.IJobFeedStore>().ReadFeedAsync(0, Memory<JobTracking.Storage.JobChange>.Empty);
        latest.LatestSequence.Should().BeGreaterThan(LiveEventsMaxReplay + 1, "700 jobs made more changes than one stream replays");

        using (var far = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/jobs/events?lastEventId=1"), HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await far.Content.ReadAsStreamAsync());
            var frame = await ReadFrameAsync(reader);
            frame.Should().Contain("event: reload");
            (await reader.ReadToEndAsync()).Should().BeEmpty("the stream ends after telling the page to reload");
        }

        var near = latest.LatestSequence - 10;
        using var resumed = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/jobs/events?lastEventId={near}"), HttpCompletionOption.ResponseHeadersRead);
        using var resumedReader = new StreamReader(await resumed.Content.ReadAsStreamAsync());
        (await ReadFrameAsync(resumedReader)).Should().Contain(": open");
        (await ReadFrameAsync(resumedReader)).Should().StartWith($"id: {near + 1}");
    }

    private const int LiveEventsMaxReplay = 2_000;

    private static async Task<string> ReadFrameAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(Wait.DefaultTimeout);
        var lines = new List<string>();
        while (true)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("The event stream ended.");
            if (line.Length == 0 && lines.Count > 0)
            {
                return string.Join('\n', lines);
            }

            if (line.Length > 0)
            {
                lines.Add(line);
            }
        }
    }
}
