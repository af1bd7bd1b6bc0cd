using System.Net;
using System.Text.Json;
using AngleSharp.Html.Parser;

namespace JobTracking.Dashboard.Tests;

public sealed class CommandTests
{
    [Fact]
    public async Task Buttons_AreOnlyThoseTheStatusAllows()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var running = await host.StartGateJobAsync();
        await host.WaitForAsync(running, JobStatus.Running);
        var failed = await host.Runner.Job<FailJob>().StartAsync(new FailParameters());
        var completed = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters());
        await host.WaitForAsync(failed, JobStatus.Failed);
        await host.WaitForAsync(completed, JobStatus.Completed);
        var client = host.Client();

        async Task<IEnumerable<string>> Buttons(Guid id) =>
            (await client.GetPageAsync($"/jobs/{id}")).QuerySelectorAll(".jt-commands button").Select(b => b.TextContent);

        (await Buttons(running)).Should().Equal("Pause", "Cancel");
        (await Buttons(failed)).Should().Equal("Restart");
        (await Buttons(completed)).Should().BeEmpty();
        await host.Runner.PauseAsync(running);
        await host.WaitForAsync(running, JobStatus.Paused);
        (await Buttons(running)).Should().Equal("Start (resume)", "Cancel");
        (await client.GetPageAsync($"/jobs/{running}")).QuerySelector(".jt-commands button")!.GetAttribute("data-confirm").Should().StartWith("Start 'Gate job' again?");
    }

    [Fact]
    public async Task Command_Unconfirmed_AsksOnAPage_ThenConfirmedRunsAndRedirects()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var client = host.Client();
        var token = await client.TokenAsync($"/jobs/{id}");

        var ask = await client.PostFormAsync($"/jobs/{id}/pause", [new("confirmed", "")], token);
        var askPage = new HtmlParser().ParseDocument(await ask.Content.ReadAsStringAsync());
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Running, "nothing happens before the confirmation");
        var confirmForm = askPage.QuerySelector("form.jt-confirm")!;
        var fields = confirmForm.QuerySelectorAll("input[type=hidden]")
            .Select(i => new KeyValuePair<string, string>(i.GetAttribute("name")!, i.GetAttribute("value") ?? "")).ToList();
        var done = await client.PostFormAsync(confirmForm.GetAttribute("action")!, fields, token: null);

        ask.StatusCode.Should().Be(HttpStatusCode.OK);
        askPage.QuerySelector(".jt-question")!.TextContent.Should().StartWith("Pause 'Gate job'?");
        done.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        done.Headers.Location!.ToString().Should().Be($"/jobs/{id}?done=pause");
        (await host.WaitForAsync(id, JobStatus.Paused)).Status.Should().Be(JobStatus.Paused);
        var after = await client.GetPageAsync(done.Headers.Location.ToString());
        after.QuerySelector(".jt-flash")!.TextContent.Should().Be("Pause requested.");
    }

    [Fact]
    public async Task Command_TheStatusDoesNotAllow_Answers409AndChangesNothing()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters());
        await host.WaitForAsync(id, JobStatus.Completed);
        var client = host.Client();
        var token = await client.TokenAsync();

        var form = await client.PostFormAsync($"/jobs/{id}/pause", [new("confirmed", "yes")], token);
        var api = await client.PostJsonAsync($"/jobs/api/jobs/{id}/restart", "{}", token);
        var unknown = await client.PostJsonAsync($"/jobs/api/jobs/{id}/explode", "{}", token);

        form.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await form.Content.ReadAsStringAsync()).Should().Contain("Completed");
        api.StatusCode.Should().Be(HttpStatusCode.Conflict);
        JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString().Should().Contain("Cannot restart");
        unknown.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Completed);
    }

    [Fact]
    public async Task Api_PauseResumeCancel_AnswerTheStatusAfterwards()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var client = host.Client();
        var token = JsonDocument.Parse(await client.GetStringAsync("/jobs/api/antiforgery")).RootElement.GetProperty("token").GetString();

        var pause = await client.PostJsonAsync($"/jobs/api/jobs/{id}/pause", "{}", token);
        await host.WaitForAsync(id, JobStatus.Paused);
        var resume = await client.PostJsonAsync($"/jobs/api/jobs/{id}/resume", "{}", token);
        var cancel = await client.PostJsonAsync($"/jobs/api/jobs/{id}/cancel", "{}", token);

        pause.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonDocument.Parse(await pause.Content.ReadAsStringAsync()).RootElement.GetProperty("command").GetString().Should().Be("pause");
        resume.StatusCode.Should().Be(HttpStatusCode.OK);
        cancel.StatusCode.Should().Be(HttpStatusCode.OK);
        (await host.WaitForAsync(id, JobStatus.Cancelled)).Status.Should().Be(JobStatus.Cancelled);
    }

    [Fact]
    public async Task Bulk_CancelSelected_RedirectsToItsResult_WhichNamesEachJobInTheStatusWords_AndAReloadRunsNothing()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var a = await host.StartGateJobAsync("Import A");
        var b = await host.StartGateJobAsync("Import B");
        var done = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters(), new JobStartOptions { DisplayName = "Finished export" });
        await host.WaitForAsync(done, JobStatus.Completed);
        var client = host.Client();
        var token = await client.TokenAsync();

        var response = await client.PostFormAsync("/jobs/bulk",
            [new("command", "cancel-selected"), new("id", a.ToString()), new("id", b.ToString()), new("id", done.ToString()), new("confirmed", "yes")], token);
        response.StatusCode.Should().Be(HttpStatusCode.SeeOther, "the result is read after a redirect, so a reload does not post again");
        var location = response.Headers.Location!.ToString();
        location.Should().StartWith("/jobs/bulk/");
        var page = await client.GetPageAsync(location);
        await host.WaitForAsync(a, JobStatus.Cancelled);
        await host.WaitForAsync(b, JobStatus.Cancelled);
        var reloaded = await client.GetPageAsync(location);
        var otherUser = await host.Client("127.0.0.2").GetAsync(location);

        page.QuerySelector("#jt-bulk-summary")!.TextContent.Should().Be("2 jobs cancelled; 1 not: 1 because it is Finished with warnings.");
        page.QuerySelector("#jt-bulk-summary")!.ClassList.Should().NotContain("jt-flash-none");
        var rows = page.QuerySelectorAll(".jt-bulk-result tbody tr").ToDictionary(r => r.GetAttribute("data-job-id")!, r => r.TextContent);
        rows[done.ToString()].Should().Be("Finished exportNot changed: it is Finished with warnings");
        rows[a.ToString()].Should().Be("Import ACancellation requested");
        rows[b.ToString()].Should().Be("Import BCancellation requested");
        page.QuerySelectorAll(".jt-bulk-result code").Should().BeEmpty("jobs are named, not shown as bare ids");
        reloaded.QuerySelector("#jt-bulk-summary")!.TextContent.Should().Be("2 jobs cancelled; 1 not: 1 because it is Finished with warnings.");
        otherUser.StatusCode.Should().Be(HttpStatusCode.NotFound, "a result is shown to the one who ran the command");
        (await host.Tracker.GetAsync(done)).Status.Should().Be(JobStatus.Completed);
    }

    [Fact]
    public async Task Bulk_NothingChanged_SaysSoPlainly_OutsideTheSuccessBox()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var done = await host.Runner.Job<EchoJob>().StartAsync(new EchoParameters("x"), new JobStartOptions { DisplayName = "Done" });
        var failed = await host.Runner.Job<FailJob>().StartAsync(new FailParameters(), new JobStartOptions { DisplayName = "Broken" });
        await host.WaitForAsync(done, JobStatus.Completed);
        await host.WaitForAsync(failed, JobStatus.Failed);
        var client = host.Client();
        var token = await client.TokenAsync();

        var response = await client.PostFormAsync("/jobs/bulk",
            [new("command", "cancel-selected"), new("id", done.ToString()), new("id", failed.ToString()), new("confirmed", "yes")], token);
        var page = await client.GetPageAsync(response.Headers.Location?.ToString() ?? "/jobs/bulk/none");

        var summary = page.QuerySelector("#jt-bulk-summary")!;
        summary.TextContent.Should().Be("Nothing changed: 2 jobs not cancelled, 1 because it is Finished with warnings, 1 because it is Finished with error.");
        summary.ClassList.Should().Contain("jt-flash-none", "nothing changed is not a success");
    }

    [Fact]
    public async Task Tracker_BulkButtons_ShowOnlyWhereTheirCommandCanChangeAJob()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var client = host.Client();
        async Task<List<string?>> Buttons(string query) =>
            [.. (await client.GetPageAsync("/jobs" + query)).QuerySelectorAll(".jt-actions button").Select(b => b.GetAttribute("value"))];

        var empty = await Buttons("");
        var running = await host.StartGateJobAsync("Running");
        await host.WaitForAsync(running, JobStatus.Running);
        var failed = await host.Runner.Job<FailJob>().StartAsync(new FailParameters());
        await host.WaitForAsync(failed, JobStatus.Failed);

        empty.Should().BeEmpty("an empty tracker has nothing to cancel or restart");
        (await Buttons("?status=Failed")).Should().Equal("restart-selected", "restart-all");
        (await Buttons("?status=Running")).Should().Equal("cancel-selected", "cancel-all");
        (await Buttons("?status=Completed")).Should().BeEmpty("no job matches");
        (await Buttons("")).Should().Equal("cancel-selected", "restart-selected", "cancel-all", "restart-all");
    }

    [Fact]
    public async Task Bulk_AllMatchingTheFilter_ActsOnEveryMatchAcrossPages_AndOnNothingElse()
    {
        await using var host = await DashboardTestHost.StartAsync(configure: o => o.PageSize = 1);
        var mine = new[] { await host.StartGateJobAsync("Mine 1", "alice"), await host.StartGateJobAsync("Mine 2", "alice"), await host.StartGateJobAsync("Mine 3", "alice") };
        var other = await host.StartGateJobAsync("Other", "bob");
        var client = host.Client();
        var token = JsonDocument.Parse(await client.GetStringAsync("/jobs/api/antiforgery")).RootElement.GetProperty("token").GetString();

        var response = await client.PostJsonAsync("/jobs/api/bulk", "{\"command\":\"cancel\",\"filter\":{\"user\":\"alice\"}}", token);
        var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        // A running job passes through Cancelling: the second request must find every match Cancelled, so it waits.
        foreach (var id in mine)
        {
            await host.WaitForAsync(id, JobStatus.Cancelled);
        }

        var again = await client.PostJsonAsync("/jobs/api/bulk", "{\"command\":\"cancel\",\"filter\":{\"user\":\"alice\"}}", token);
        var againResult = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
        var bad = await client.PostJsonAsync("/jobs/api/bulk", "{\"command\":\"cancel\"}", token);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        result.GetProperty("requested").GetInt32().Should().Be(3);
        result.GetProperty("changed").GetInt32().Should().Be(3);
        (await host.Tracker.GetAsync(other)).Status.Should().NotBe(JobStatus.Cancelled).And.NotBe(JobStatus.Cancelling);
        againResult.GetProperty("changed").GetInt32().Should().Be(0);
        againResult.GetProperty("notChanged").EnumerateArray().Select(r => r.GetProperty("reason").GetString()).Should().AllBe("it is Cancelled");
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).Should().Contain("Give either ids");
    }

    [Fact]
    public async Task Bulk_AllMatching_ConfirmPageSaysHowManyJobsWouldChange_BeforeAnythingChanges()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var running = new[] { await host.StartGateJobAsync("Mine 1", "alice"), await host.StartGateJobAsync("Mine 2", "alice") };
        var failed = await host.Runner.Job<FailJob>().StartAsync(new FailParameters(), new JobStartOptions { LaunchedBy = "alice" });
        await host.WaitForAsync(failed, JobStatus.Failed);
        var client = host.Client();
        var token = await client.TokenAsync();

        var cancelAll = await client.PostFormAsync("/jobs/bulk", [new("command", "cancel-all"), new("user", "alice")], token);
        var cancelFailed = await client.PostFormAsync("/jobs/bulk", [new("command", "cancel-all"), new("user", "alice"), new("status", "Failed")], token);

        (await cancelAll.Content.ReadAsStringAsync()).Should().Contain("Cancel 2 of the 3 jobs that match the filters? The other one cannot be cancelled and stays as it is.");
        (await cancelFailed.Content.ReadAsStringAsync()).Should().Contain("None of the 1 job that matches the filters can be cancelled; nothing would change.");
        foreach (var id in running)
        {
            (await host.Tracker.GetAsync(id)).Status.Should().BeOneOf(JobStatus.Queued, JobStatus.Running);
        }
    }

    [Fact]
    public async Task Bulk_MoreIdsThanMaxBulkJobs_Answers400AndChangesNothing()
    {
        await using var host = await DashboardTestHost.StartAsync(configure: o => o.MaxBulkJobs = 3);
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await host.StartGateJobAsync($"job {i}"));
        }

        var client = host.Client();
        var token = await client.TokenAsync();
        var json = await client.PostJsonAsync("/jobs/api/bulk", $"{{\"command\":\"cancel\",\"ids\":[{string.Join(',', ids.Select(id => $"\"{id}\""))}]}}", token);
        var form = await client.PostFormAsync("/jobs/bulk", [new("command", "cancel-selected"), .. ids.Select(id => new KeyValuePair<string, string>("id", id.ToString())), new("confirmed", "yes")], token);
        var repeated = await client.PostJsonAsync("/jobs/api/bulk", $"{{\"command\":\"cancel\",\"ids\":[\"{ids[0]}\",\"{ids[0]}\",\"{ids[0]}\",\"{ids[0]}\"]}}", token);

        json.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await json.Content.ReadAsStringAsync()).Should().Contain("4 jobs given").And.Contain("at most 3 (MaxBulkJobs)");
        form.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        repeated.StatusCode.Should().Be(HttpStatusCode.OK, "the same job named four times is one job");
        foreach (var id in ids.Skip(1))
        {
            (await host.Tracker.GetAsync(id)).Status.Should().BeOneOf(JobStatus.Queued, JobStatus.Running);
        }
    }

    [Fact]
    public async Task Bulk_BadInput_Answers400AndChangesNothing()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        var client = host.Client();
        var token = await client.TokenAsync();

        var badCommand = await client.PostFormAsync("/jobs/bulk", [new("command", "delete-all"), new("confirmed", "yes")], token);
        var badId = await client.PostFormAsync("/jobs/bulk", [new("command", "cancel-selected"), new("id", "not-a-guid"), new("confirmed", "yes")], token);
        var badFilter = await client.PostFormAsync("/jobs/bulk", [new("command", "cancel-all"), new("status", "Exploded"), new("confirmed", "yes")], token);

        badCommand.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badCommand.Content.ReadAsStringAsync()).Should().Contain("command:");
        badId.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badId.Content.ReadAsStringAsync()).Should().Contain("id:");
        badFilter.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badFilter.Content.ReadAsStringAsync()).Should().Contain("status:");
        (await host.Tracker.GetAsync(id)).Status.Should().BeOneOf(JobStatus.Queued, JobStatus.Running);
    }
}
