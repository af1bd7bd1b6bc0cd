using System.Net;
using System.Text.Json;

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
        while (!events.Any(e => e.GetProperty("finished").GetBoolean()))
        {
            var frame = await ReadFrameAsync(reader);
            if (frame.StartsWith("event: job", StringComparison.Ordinal))
            {
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
