using System.Net;
using AngleSharp.Html.Parser;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Dashboard.Tests;

public sealed class SchedulesPageTests
{
    private const string Hostile = "<script>alert('schedule')</script>";

    [Fact]
    public async Task Page_ListsEachSchedule_WithItsLastJobLinkAndStatus_AndEncodesItsText()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var schedules = host.Services.GetRequiredService<IJobSchedules>();
        await schedules.Schedule<JournalJob>().SetAsync("nightly <import>", new JournalParameters(), "0 2 * * *", new() { TimeZone = "Europe/Paris", DisplayName = Hostile });
        await schedules.Schedule<JournalJob>().SetAsync("paused", new JournalParameters(), "*/5 * * * *");
        await schedules.PauseAsync("paused");
        var jobId = await schedules.TriggerAsync("nightly <import>");
        await host.WaitForAsync(jobId, JobStatus.Completed);

        var response = await host.Client().GetAsync("/jobs/schedules");
        var text = await response.Content.ReadAsStringAsync();
        var page = new HtmlParser().ParseDocument(text);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        text.Should().NotContain(Hostile).And.NotContain("nightly <import>");
        var rows = page.QuerySelectorAll("table.jt-schedules tbody tr");
        rows.Select(r => r.GetAttribute("data-schedule")).Should().Equal("nightly <import>", "paused");
        rows[0].TextContent.Should().Contain(Hostile).And.Contain("0 2 * * *").And.Contain("Europe/Paris").And.Contain(nameof(JournalJob)).And.Contain("Active");
        rows[0].QuerySelector($"a[href='/jobs/{jobId}']").Should().NotBeNull("the last job links to its page");
        rows[0].QuerySelector(".jt-badge")!.TextContent.Should().Contain("Finished", "the status label of a completed job");
        rows[0].QuerySelectorAll("time").Should().HaveCount(1, "the next occurrence is shown; no occurrence has passed yet");
        rows[1].TextContent.Should().Contain("Paused");
        rows[0].QuerySelectorAll("button").Select(b => b.TextContent).Should().Equal("Pause", "Run now", "Delete");
        rows[1].QuerySelectorAll("button").Select(b => b.TextContent).Should().Equal("Resume", "Run now", "Delete");
        page.QuerySelector("a.jt-nav[href='/jobs/schedules']").Should().NotBeNull("every page links to the schedules");
    }

    [Fact]
    public async Task Commands_ConfirmedPauseResumeTriggerDelete_RunAndRedirect_UnconfirmedOnlyAsk()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var schedules = host.Services.GetRequiredService<IJobSchedules>();
        await schedules.Schedule<JournalJob>().SetAsync("s/1", new JournalParameters(), "0 2 * * *");
        var client = host.Client();
        var token = await client.TokenAsync("/jobs/schedules");

        var ask = await client.PostFormAsync("/jobs/schedules/pause", [new("id", "s/1"), new("confirmed", "")], token);
        (await ask.Content.ReadAsStringAsync()).Should().Contain("Pause schedule &#x27;s/1&#x27;?");
        (await schedules.GetAsync("s/1"))!.IsPaused.Should().BeFalse("nothing happens before the confirmation");

        var pause = await client.PostFormAsync("/jobs/schedules/pause", [new("id", "s/1"), new("confirmed", "yes")], token);
        pause.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        pause.Headers.Location!.ToString().Should().Be("/jobs/schedules?done=pause");
        (await schedules.GetAsync("s/1"))!.IsPaused.Should().BeTrue();
        (await client.GetPageAsync("/jobs/schedules?done=pause")).QuerySelector(".jt-flash")!.TextContent.Should().Be("Schedule paused.");

        await client.PostFormAsync("/jobs/schedules/resume", [new("id", "s/1"), new("confirmed", "yes")], token);
        (await schedules.GetAsync("s/1"))!.IsPaused.Should().BeFalse();

        (await client.PostFormAsync("/jobs/schedules/trigger", [new("id", "s/1"), new("confirmed", "yes")], token)).StatusCode.Should().Be(HttpStatusCode.SeeOther);
        var triggered = (await schedules.GetAsync("s/1"))!.LastJobId;
        triggered.Should().NotBeNull();
        await host.WaitForAsync(triggered!.Value, JobStatus.Completed);

        await client.PostFormAsync("/jobs/schedules/delete", [new("id", "s/1"), new("confirmed", "yes")], token);
        (await schedules.GetAsync("s/1")).Should().BeNull();
        (await host.Tracker.GetAsync(triggered.Value)).Status.Should().Be(JobStatus.Completed, "deleting a schedule keeps its jobs");
    }

    [Fact]
    public async Task Commands_UnknownScheduleOrCommand_AnswerNotFoundOrBadRequest()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var client = host.Client();
        var token = await client.TokenAsync();

        var missing = await client.PostFormAsync("/jobs/schedules/pause", [new("id", "nope"), new("confirmed", "yes")], token);
        var badCommand = await client.PostFormAsync("/jobs/schedules/explode", [new("id", "nope"), new("confirmed", "yes")], token);
        var noId = await client.PostFormAsync("/jobs/schedules/pause", [new("confirmed", "yes")], token);

        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await missing.Content.ReadAsStringAsync()).Should().Contain("Schedule &#x27;nope&#x27; was not found");
        badCommand.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        noId.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Policies_ReaderSeesNoButtonsAndGets403_OperatorActs()
    {
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true);
        var schedules = host.Services.GetRequiredService<IJobSchedules>();
        await schedules.Schedule<JournalJob>().SetAsync("s", new JournalParameters(), "0 2 * * *");
        var reader = host.Client("203.0.113.8", "rita", "reader");
        var operatorClient = host.Client("203.0.113.7", "olga", "operator");
        var token = await operatorClient.TokenAsync("/jobs/schedules");

        var readerPage = await reader.GetPageAsync("/jobs/schedules");
        var readerPause = await reader.PostFormAsync("/jobs/schedules/pause", [new("id", "s"), new("confirmed", "yes")], token);
        var anonymous = await host.Client().GetAsync("/jobs/schedules");
        var operatorPage = await operatorClient.GetPageAsync("/jobs/schedules");
        var operatorPause = await operatorClient.PostFormAsync("/jobs/schedules/pause", [new("id", "s"), new("confirmed", "yes")], token);

        readerPage.QuerySelectorAll("table.jt-schedules tbody tr").Should().HaveCount(1);
        readerPage.QuerySelectorAll("form[method=post], button").Where(b => b.Id != "jt-live-toggle").Should().BeEmpty();
        readerPause.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        operatorPage.QuerySelectorAll("table.jt-schedules button").Select(b => b.TextContent).Should().Equal("Pause", "Run now", "Delete");
        operatorPause.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        (await schedules.GetAsync("s"))!.IsPaused.Should().BeTrue("only the operator's pause was applied");
    }

    [Fact]
    public async Task Commands_WithoutAntiforgeryToken_AreRefusedAndChangeNothing()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var schedules = host.Services.GetRequiredService<IJobSchedules>();
        await schedules.Schedule<JournalJob>().SetAsync("s", new JournalParameters(), "0 2 * * *");

        var response = await host.Client().PostFormAsync("/jobs/schedules/delete", [new("id", "s"), new("confirmed", "yes")], token: null);

        response.StatusCode.Should().BeOneOf(HttpStatusCode.BadRequest, HttpStatusCode.Forbidden);
        (await schedules.GetAsync("s")).Should().NotBeNull();
    }
}
