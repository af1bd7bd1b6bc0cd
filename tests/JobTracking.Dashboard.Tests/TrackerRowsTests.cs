using System.Net;
using AngleSharp.Html.Parser;

namespace JobTracking.Dashboard.Tests;

/// <summary>The tracker's rows for several jobs in one answer (<c>/jobs/rows?id=...&amp;id=...</c>), which the live page asks for in a burst.</summary>
public sealed class TrackerRowsTests
{
    [Fact]
    public async Task Rows_SeveralIds_AnswersTheRowsThatMatchTheFilters_InTheOrderGiven_WithTheirVersions()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var first = await host.StartGateJobAsync("First", "alice");
        var other = await host.StartGateJobAsync("Other", "bob");
        var second = await host.StartGateJobAsync("Second", "alice");
        await host.WaitForAsync(second, JobStatus.Running);
        var purged = Guid.NewGuid();
        var client = host.Client();

        var html = await client.GetStringAsync($"/jobs/rows?user=alice&id={second}&id={other}&id={purged}&id={first}&id={second}");

        var rows = new HtmlParser().ParseDocument($"<table><tbody>{html}</tbody></table>").QuerySelectorAll("tr");
        rows.Select(r => r.GetAttribute("data-job-id")).Should().Equal(second.ToString(), first.ToString());
        rows[0].GetAttribute("data-status").Should().Be("Running");
        rows[0].GetAttribute("data-version").Should().Be((await host.Tracker.GetAsync(second)).Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        rows[0].TextContent.Should().Contain("Second");
    }

    [Theory]
    [InlineData("", "id: no job id given")]
    [InlineData("?id=", "id: '' is not a job id.")]
    [InlineData("?id=nope", "id: 'nope' is not a job id.")]
    [InlineData("?id={id}&id=<script>", "id: '<script>' is not a job id.")]
    [InlineData("?status=Nope&id={id}", "status: 'Nope' is not a job status")]
    [InlineData("?size=0&id={id}", "size: '0' is not a page size")]
    public async Task Rows_BadInput_Answers400SayingWhatIsWrong(string query, string expected)
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();

        var body = await host.Client().GetStringAsync("/jobs/rows" + query.Replace("{id}", id.ToString(), StringComparison.Ordinal), HttpStatusCode.BadRequest);

        new HtmlParser().ParseDocument(body).QuerySelector(".jt-error")!.TextContent.Should().Contain(expected);
    }

    [Fact]
    public async Task Rows_MoreIdsThanOneRequestTakes_Answers400()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var ids = string.Join("&", Enumerable.Range(0, 101).Select(_ => "id=" + Guid.NewGuid()));

        var tooMany = await host.Client().GetStringAsync("/jobs/rows?" + ids, HttpStatusCode.BadRequest);
        var most = await host.Client().GetStringAsync("/jobs/rows?" + string.Join("&", ids.Split('&').Take(100)));

        new HtmlParser().ParseDocument(tooMany).QuerySelector(".jt-error")!.TextContent.Should().Be("id: 101 ids given; ask for at most 100 rows at a time.");
        most.Should().BeEmpty("none of those jobs exists");
    }

    [Fact]
    public async Task Rows_FollowTheReadPolicy_AndShowNoCheckboxToReaders()
    {
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true);
        var id = await host.StartGateJobAsync("Guarded");
        var url = $"/jobs/rows?id={id}";

        var anonymous = await host.Client().GetAsync(url);
        var stranger = await host.Client("203.0.113.6", "sam", "guest").GetAsync(url);
        var reader = await host.Client("203.0.113.8", "rita", "reader").GetStringAsync(url);
        var operatorRow = await host.Client("203.0.113.7", "olga", "operator").GetStringAsync(url);

        anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        stranger.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await stranger.Content.ReadAsStringAsync()).Should().NotContain("Guarded");
        reader.Should().Contain("Guarded").And.NotContain("type=\"checkbox\"", "a reader cannot select jobs for a command");
        operatorRow.Should().Contain("type=\"checkbox\"");
    }

    [Fact]
    public async Task Rows_NoPolicy_RemoteRequest_IsRefused_WithTheDashboardsHeaders()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync("Local only");

        var remote = await host.Client(remote: "203.0.113.9").GetAsync($"/jobs/rows?id={id}");
        var local = await host.Client().GetAsync($"/jobs/rows?id={id}");

        remote.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await remote.Content.ReadAsStringAsync()).Should().NotContain("Local only");
        local.StatusCode.Should().Be(HttpStatusCode.OK);
        local.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        local.Headers.GetValues("Content-Security-Policy").Single().Should().Contain("default-src 'none'");
    }
}
