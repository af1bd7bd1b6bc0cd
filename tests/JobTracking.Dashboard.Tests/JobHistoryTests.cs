using System.Net;
using System.Text.Json;

namespace JobTracking.Dashboard.Tests;

/// <summary>The job page's History tab and <c>/api/jobs/{id}/history</c>: who issued each command (the signed-in user), encoded, under the same rules as the other job details.</summary>
public sealed class JobHistoryTests
{
    [Fact]
    public async Task History_CommandsFromThePageAndTheApi_NameTheSignedInUser_AndTheTabShowsThemAsText()
    {
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true);
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var operatorClient = host.Client("203.0.113.9", "<b>olga</b>", "operator");
        var token = await operatorClient.TokenAsync($"/jobs/{id}");

        (await operatorClient.PostFormAsync($"/jobs/{id}/pause", [new("confirmed", "yes")], token)).StatusCode.Should().Be(HttpStatusCode.SeeOther);
        await host.WaitForAsync(id, JobStatus.Paused);
        (await operatorClient.PostJsonAsync($"/jobs/api/jobs/{id}/resume", "{}", token)).StatusCode.Should().Be(HttpStatusCode.OK);
        host.Gate.Open();
        await host.WaitForAsync(id, JobStatus.Completed);

        var page = await operatorClient.GetPageAsync($"/jobs/{id}?tab=history");
        var rows = page.QuerySelectorAll("#jt-history tbody tr").Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent).ToList()).ToList();
        rows.Select(r => r[1]).Should().Equal("Created", "Attempt started", "Pause", "Resume", "Attempt ended");
        rows[0][3].Should().Be("alice", "who launched the job");
        rows[2][3].Should().Be("<b>olga</b>", "the signed-in user, shown as text");
        rows[3][3].Should().Be("<b>olga</b>");
        page.QuerySelectorAll("#jt-history b").Should().BeEmpty("user text is encoded");
        page.QuerySelector(".jt-tabs .jt-current")!.TextContent.Should().Be("History");

        var json = await operatorClient.GetStringAsync($"/jobs/api/jobs/{id}/history");
        json.Should().NotContain("<b>", "the API's JSON escapes markup too");
        var entries = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        entries.Select(e => e.GetProperty("kind").GetString()).Should().Equal("Created", "Started", "Pause", "Resume", "Ended");
        entries[2].GetProperty("actor").GetString().Should().Be("<b>olga</b>");
        (entries[2].GetProperty("fromStatus").GetString(), entries[2].GetProperty("toStatus").GetString()).Should().Be(("Running", "Pausing"));
        entries[2].TryGetProperty("instance", out _).Should().BeTrue("an operator sees which instance issued the command");

        var reader = JsonDocument.Parse(await host.Client("203.0.113.8", "rita", "reader").GetStringAsync($"/jobs/api/jobs/{id}/history")).RootElement.EnumerateArray().ToList();
        reader[2].GetProperty("actor").GetString().Should().Be("<b>olga</b>");
        reader[2].TryGetProperty("instance", out _).Should().BeFalse("instance ids are for those who may act, as parameters and stack traces are");
    }

    [Fact]
    public async Task History_AnonymousLocalCommand_NamesTheAddress_AsTheAuditLogLineDoes()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var client = host.Client();
        var token = await client.TokenAsync();

        (await client.PostJsonAsync($"/jobs/api/jobs/{id}/cancel", "{}", token)).StatusCode.Should().Be(HttpStatusCode.OK);
        await host.WaitForAsync(id, JobStatus.Cancelled);

        var cancel = (await host.Tracker.GetHistoryAsync(id)).Should().ContainSingle(e => e.Kind == JobHistoryKind.Cancel).Which;
        cancel.Actor.Should().StartWith("anonymous (").And.EndWith(")");
    }

    [Fact]
    public async Task History_AttemptErrors_AreShownOnlyToThoseWhoMaySeeErrors()
    {
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true);
        var failed = await host.Runner.Job<FailJob>().StartAsync(new FailParameters());
        await host.WaitForAsync(failed, JobStatus.Failed);

        async Task<JsonElement> EndedAsync(DashboardClient client) =>
            JsonDocument.Parse(await client.GetStringAsync($"/jobs/api/jobs/{failed}/history")).RootElement.EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "Ended");

        (await EndedAsync(host.Client("203.0.113.9", "olga", "operator"))).GetProperty("reason").GetString().Should().Contain(FailJob.Message);
        (await EndedAsync(host.Client("203.0.113.8", "rita", "reader"))).TryGetProperty("reason", out _).Should().BeFalse("errors are shown to readers only with ShowErrorsToReaders");
        var page = await host.Client("203.0.113.8", "rita", "reader").GetPageAsync($"/jobs/{failed}?tab=history");
        page.QuerySelector("#jt-history")!.TextContent.Should().NotContain("boom");
    }
}
