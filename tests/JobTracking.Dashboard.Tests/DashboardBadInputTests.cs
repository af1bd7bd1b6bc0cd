using System.Net;
using System.Text.Json;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using JobTracking.Dashboard.Commands;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Dashboard.Tests;

/// <summary>What the dashboard answers to input it cannot use, through its pages and its JSON API: a status and a body that name what was wrong, and no change.</summary>
public sealed class DashboardBadInputTests
{
    /// <summary>Markup, script, an event handler, SQL and format holes in one text (no NUL: HTML has no way to show one).</summary>
    private const string Hostile = "<script>alert('x')</script><img src=x onerror=alert(1)> \" onmouseover=\"alert(2) '; DROP TABLE jobs; -- &amp; {0} é 😀";

    public static TheoryData<string, string> EveryJobUrl() => new()
    {
        { "GET", "/jobs/{id}" },
        { "GET", "/jobs/{id}?tab=log" },
        { "GET", "/jobs/{id}?tab=rejects" },
        { "GET", "/jobs/{id}?tab=history" },
        { "GET", "/jobs/rows/{id}" },
        { "GET", "/jobs/{id}/rejects.csv" },
        { "GET", "/jobs/api/jobs/{id}" },
        { "GET", "/jobs/api/jobs/{id}/log" },
        { "GET", "/jobs/api/jobs/{id}/rejects" },
        { "GET", "/jobs/api/jobs/{id}/history" },
        { "POST", "/jobs/{id}/pause" },
        { "POST", "/jobs/{id}/resume" },
        { "POST", "/jobs/{id}/cancel" },
        { "POST", "/jobs/{id}/restart" },
        { "POST", "/jobs/api/jobs/{id}/pause" },
        { "POST", "/jobs/api/jobs/{id}/resume" },
        { "POST", "/jobs/api/jobs/{id}/cancel" },
        { "POST", "/jobs/api/jobs/{id}/restart" },
    };

    [Theory]
    [MemberData(nameof(EveryJobUrl))]
    public async Task UnknownJobId_EveryPageApiAndCommand_Answers404NamingTheId_AndChangesNothing(string method, string url)
    {
        await using var host = await DashboardTestHost.StartAsync();
        var client = host.Client();
        var token = await client.TokenAsync();
        var missing = Guid.NewGuid();
        var path = url.Replace("{id}", missing.ToString(), StringComparison.Ordinal);
        var api = path.StartsWith("/jobs/api/", StringComparison.Ordinal);

        var response = method == "GET" ? await client.GetAsync(path)
            : api ? await client.PostJsonAsync(path, "{}", token)
            : await client.PostFormAsync(path, [new("confirmed", "yes")], token);
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var error = api ? JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()! : new HtmlParser().ParseDocument(body).QuerySelector(".jt-error")!.TextContent;
        error.Should().Be($"Job '{missing}' was not found.");
        (await host.Tracker.CountAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Bulk_UnknownJobIds_AreReportedAsNotChanged()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var client = host.Client();
        var token = await client.TokenAsync();
        var missing = Guid.NewGuid();

        var response = await client.PostJsonAsync("/jobs/api/bulk", $"{{\"command\":\"cancel\",\"ids\":[\"{missing}\"]}}", token);
        var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        result.GetProperty("changed").GetInt32().Should().Be(0);
        var refusal = result.GetProperty("notChanged").EnumerateArray().Should().ContainSingle().Subject;
        (refusal.GetProperty("id").GetGuid(), refusal.GetProperty("reason").GetString()).Should().Be((missing, "it no longer exists"));
    }

    public static TheoryData<JobStatus> RestingStatuses() =>
        [JobStatus.Editing, JobStatus.Paused, JobStatus.Completed, JobStatus.Cancelled, JobStatus.Failed];

    [Theory]
    [MemberData(nameof(RestingStatuses))]
    public async Task Command_TheStatusDoesNotAllow_Answers409NamingJobStatusAndCommand_AndChangesNothing(JobStatus status)
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await JobInStatusAsync(host, status);
        var before = await host.Tracker.GetAsync(id);
        var client = host.Client();
        var token = await client.TokenAsync();
        var refused = JobCommands.All.Where(c => !JobCommands.Allows(status, c)).ToList();
        refused.Should().NotBeEmpty();

        foreach (var command in refused)
        {
            var name = JobCommands.Name(command);
            var api = await client.PostJsonAsync($"/jobs/api/jobs/{id}/{name}", "{}", token);
            var form = await client.PostFormAsync($"/jobs/{id}/{name}", [new("confirmed", "yes")], token);

            api.StatusCode.Should().Be(HttpStatusCode.Conflict, name);
            form.StatusCode.Should().Be(HttpStatusCode.Conflict, name);
            var error = JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
            error.Should().Be($"Cannot {name} job '{id}': it is {status}, which does not allow {command}.");
            new HtmlParser().ParseDocument(await form.Content.ReadAsStringAsync()).QuerySelector(".jt-error")!.TextContent.Should().Be(error);
        }

        (await host.Tracker.GetAsync(id)).Should().BeEquivalentTo(before, "a refused command changes nothing");
    }

    [Theory]
    [InlineData("", "The body is not a bulk command")]
    [InlineData("{", "The body is not a bulk command")]
    [InlineData("not json", "The body is not a bulk command")]
    [InlineData("[\"cancel\"]", "The body is not a bulk command")]
    [InlineData("null", "The body is empty")]
    [InlineData("{\"command\": 5, \"ids\": []}", "$.command")]
    [InlineData("{\"command\": \"cancel\", \"ids\": \"all\"}", "$.ids")]
    [InlineData("{\"command\": \"cancel\", \"ids\": [\"not-a-guid\"]}", "$.ids[0]")]
    [InlineData("{\"command\": \"cancel\", \"ids\": [1, 2]}", "$.ids[0]")]
    [InlineData("{\"command\": \"cancel\", \"filter\": [\"Failed\"]}", "$.filter")]
    [InlineData("{\"command\": \"delete\", \"ids\": []}", "command: 'delete' is not a bulk command")]
    [InlineData("{\"command\": \"pause\", \"ids\": []}", "command: 'pause' is not a bulk command")]
    [InlineData("{\"ids\": []}", "command: '' is not a bulk command")]
    [InlineData("{\"command\": \"cancel\"}", "Give either ids")]
    [InlineData("{\"command\": \"cancel\", \"ids\": [], \"filter\": {}}", "Give either ids")]
    [InlineData("{\"command\": \"cancel\", \"filter\": {\"status\": [\"Exploded\"]}}", "status: 'Exploded' is not a job status")]
    [InlineData("{\"command\": \"cancel\", \"filter\": {\"from\": \"yesterday\"}}", "from: 'yesterday' is not a date")]
    [InlineData("{\"command\": \"cancel\", \"filter\": {\"user\": \"501\"}}", "user is 501 characters long")]
    [InlineData("{\"command\": \"cancel\", \"filter\": {\"q\": \"<script>alert(1)</script>\", \"to\": \"<b>\"}}", "to: '<b>' is not a date")]
    [InlineData("deep", "The body is not a bulk command")]
    public async Task Bulk_MalformedOrMisshapenJson_Answers400NamingWhatIsWrong_AndChangesNothing(string body, string named)
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var client = host.Client();
        var token = await client.TokenAsync();
        body = body switch
        {
            "deep" => new string('[', 2000) + new string(']', 2000),
            _ => body.Replace("\"501\"", $"\"{new string('u', 501)}\"", StringComparison.Ordinal),
        };

        var response = await client.PostJsonAsync("/jobs/api/bulk", body, token);
        var text = await response.Content.ReadAsStringAsync();

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        JsonDocument.Parse(text).RootElement.GetProperty("error").GetString().Should().Contain(named);
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Running);
    }

    [Fact]
    public async Task HostileText_InEveryField_IsShownAsTextInEveryPage_AndSentVerbatimAsJson()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var options = new JobStartOptions { DisplayName = Hostile, LaunchedBy = Hostile, ConcurrencyKey = Hostile };
        var done = await host.Runner.Job<EchoJob>().StartAsync(new EchoParameters(Hostile), options);
        var failed = await host.Runner.Job<EchoJob>().StartAsync(new EchoParameters(Hostile, Fail: true), options);
        await host.WaitForAsync(done, JobStatus.Completed);
        await host.WaitForAsync(failed, JobStatus.Failed);
        var client = host.Client();
        var token = await client.TokenAsync();
        var filters = $"?q={Uri.EscapeDataString(Hostile)}&user={Uri.EscapeDataString(Hostile)}&type={Uri.EscapeDataString(Hostile)}";
        var confirm = await client.PostFormAsync($"/jobs/{failed}/restart", [new("confirmed", "")], token);

        var pages = new Dictionary<string, IDocument>
        {
            ["/jobs"] = await client.GetPageAsync("/jobs"),
            ["filters"] = await client.GetPageAsync("/jobs" + filters),
            ["general"] = await client.GetPageAsync($"/jobs/{done}"),
            ["log"] = await client.GetPageAsync($"/jobs/{done}?tab=log"),
            ["rejects"] = await client.GetPageAsync($"/jobs/{done}?tab=rejects"),
            ["failed"] = await client.GetPageAsync($"/jobs/{failed}"),
            ["last"] = await client.GetPageAsync("/jobs/last-operations"),
            ["row"] = await client.GetPageAsync($"/jobs/rows/{done}"),
            ["confirm"] = new HtmlParser().ParseDocument(await confirm.Content.ReadAsStringAsync()),
            ["400"] = await client.GetPageAsync($"/jobs?status={Uri.EscapeDataString(Hostile)}", HttpStatusCode.BadRequest),
        };

        foreach (var (name, page) in pages)
        {
            page.QuerySelectorAll("script").Should().NotContain(s => !s.HasAttribute("src"), name);
            page.QuerySelectorAll("img").Should().BeEmpty(name);
            page.QuerySelectorAll("*").Should().NotContain(e => e.HasAttribute("onerror") || e.HasAttribute("onmouseover"), name);
        }

        pages["/jobs"].QuerySelectorAll("a").Select(a => a.TextContent).Should().Contain(Hostile);
        (pages["filters"].QuerySelector("input[name=q]")!.GetAttribute("value"), pages["filters"].QuerySelector("input[name=user]")!.GetAttribute("value"))
            .Should().Be((Hostile, Hostile));
        pages["general"].QuerySelector(".jt-job-name")!.TextContent.Should().Be(Hostile);
        pages["general"].QuerySelector(".jt-facts")!.TextContent.Should().Contain(Hostile, "launched by");
        pages["general"].QuerySelectorAll("table.jt-table tbody tr td:first-child").Select(c => c.TextContent).Should().Contain(Hostile, "the step");
        pages["general"].QuerySelector("#jt-parameters")!.TextContent.Should().Be(JsonSerializer.Serialize(new EchoParameters(Hostile), JsonSerializerOptions.Web));
        pages["general"].QuerySelector("#jt-checkpoint")!.TextContent.Should().Be(JsonSerializer.Serialize(Hostile));
        pages["log"].QuerySelectorAll(".jt-message").Select(m => m.TextContent).Should().Equal(Hostile);
        pages["rejects"].QuerySelectorAll(".jt-rejects code").Select(m => m.TextContent).Should().Equal(Hostile);
        pages["rejects"].QuerySelectorAll(".jt-rejects td").Select(m => m.TextContent).Should().Contain(Hostile, "the reason");
        pages["failed"].QuerySelector(".jt-error-box")!.TextContent.Should().Contain(Hostile);
        pages["confirm"].QuerySelector(".jt-question")!.TextContent.Should().Be($"Restart '{Hostile}'? It runs again as a new attempt, from its last checkpoint.");
        pages["400"].QuerySelector(".jt-error")!.TextContent.Should().StartWith("status: '<script>alert('x')</script><img src=x onerror=alert(1)>");

        var json = JsonDocument.Parse(await client.GetStringAsync($"/jobs/api/jobs/{done}")).RootElement;
        (json.GetProperty("job").GetProperty("displayName").GetString(), json.GetProperty("job").GetProperty("launchedBy").GetString()).Should().Be((Hostile, Hostile));
        json.GetProperty("steps")[0].GetProperty("name").GetString().Should().Be(Hostile);
        JsonSerializer.Deserialize<string>(json.GetProperty("checkpoint").GetString()!).Should().Be(Hostile);
        JsonDocument.Parse(await client.GetStringAsync($"/jobs/api/jobs/{failed}")).RootElement.GetProperty("error").GetProperty("message").GetString().Should().Be(Hostile);
        JsonDocument.Parse(await client.GetStringAsync($"/jobs/api/jobs/{done}/log")).RootElement.GetProperty("items")[0].GetProperty("message").GetString().Should().Be(Hostile);
        var reject = JsonDocument.Parse(await client.GetStringAsync($"/jobs/api/jobs/{done}/rejects")).RootElement.GetProperty("items")[0];
        (reject.GetProperty("rawRecord").GetString(), reject.GetProperty("reason").GetString()).Should().Be((Hostile, Hostile));
        JsonDocument.Parse(await client.GetStringAsync("/jobs/api/jobs" + filters)).RootElement.GetProperty("items").EnumerateArray()
            .Should().BeEmpty("no job has that type: the filters are matched as text");
    }

    [Fact]
    public async Task StoredRowEditedByHand_Answers500NamingTheJob_AndTheOtherJobsAreServed()
    {
        var folder = Directory.CreateTempSubdirectory("jobtracking-dashboard-");
        try
        {
            var file = Path.Combine(folder.FullName, "jobs.db");
            await using var host = await DashboardTestHost.StartAsync(jobs: b => b.UseSqlite($"Data Source={file}"));
            var corrupt = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters());
            var sound = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters());
            await host.WaitForAsync(corrupt, JobStatus.Completed);
            await host.WaitForAsync(sound, JobStatus.Completed);
            await using (var connection = new SqliteConnection($"Data Source={file};Pooling=False"))
            {
                await connection.OpenAsync();
                await using var edit = connection.CreateCommand();
                edit.CommandText = "UPDATE jobs SET steps = 'not json' WHERE id = @id";
                edit.Parameters.AddWithValue("@id", corrupt.ToByteArray(bigEndian: true));
                (await edit.ExecuteNonQueryAsync()).Should().Be(1);
            }

            var client = host.Client();

            var api = await client.GetAsync($"/jobs/api/jobs/{corrupt}");
            var page = await client.GetAsync($"/jobs/{corrupt}");

            api.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
            JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()
                .Should().StartWith($"The stored row of job '{corrupt}' is malformed and cannot be read: steps:");
            page.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
            new HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync()).QuerySelector(".jt-error")!.TextContent.Should().Contain($"job '{corrupt}'");
            await client.GetStringAsync($"/jobs/api/jobs/{sound}");
            await client.GetStringAsync($"/jobs/{sound}?tab=log");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    private static async Task<Guid> JobInStatusAsync(DashboardTestHost host, JobStatus status)
    {
        switch (status)
        {
            case JobStatus.Editing:
                return await host.Runner.Job<GateJob>().CreateDraftAsync(new GateParameters());
            case JobStatus.Cancelled:
                var draft = await host.Runner.Job<GateJob>().CreateDraftAsync(new GateParameters());
                await host.Runner.CancelAsync(draft);
                return draft;
            case JobStatus.Paused:
                var gate = await host.StartGateJobAsync();
                await host.WaitForAsync(gate, JobStatus.Running);
                await host.Runner.PauseAsync(gate);
                await host.WaitForAsync(gate, JobStatus.Paused);
                return gate;
            case JobStatus.Completed:
                var journal = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters());
                await host.WaitForAsync(journal, JobStatus.Completed);
                return journal;
            default:
                var fail = await host.Runner.Job<FailJob>().StartAsync(new FailParameters());
                await host.WaitForAsync(fail, JobStatus.Failed);
                return fail;
        }
    }
}
