using System.Net;
using System.Text.Json;
using AngleSharp.Html.Dom;

namespace JobTracking.Dashboard.Tests;

public sealed class TrackerPageTests
{
    [Fact]
    public async Task Tracker_Local_ListsEveryJobNewestFirstWithSeedLabelsAndCounts()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var running = await host.StartGateJobAsync("Running import");
        await host.WaitForAsync(running, JobStatus.Running);
        var failed = await host.Runner.Job<FailJob>().StartAsync(new FailParameters(), new JobStartOptions { DisplayName = "Broken feed" });
        await host.WaitForAsync(failed, JobStatus.Failed);

        var page = await host.Client().GetPageAsync("/jobs");

        var rows = page.QuerySelectorAll("#jt-rows tr").ToList();
        rows.Select(r => r.GetAttribute("data-job-id")).Should().Equal(failed.ToString(), running.ToString());
        rows[0].QuerySelector(".jt-badge")!.TextContent.Should().Be("Finished with error");
        rows[0].QuerySelector(".jt-badge")!.ClassList.Should().Contain("jt-s-failed");
        rows[1].QuerySelector(".jt-badge")!.TextContent.Should().Be("Execution in progress");
        rows[1].QuerySelector(".jt-name a")!.TextContent.Should().Be("Running import");
        rows[1].QuerySelector("td:nth-child(5)")!.TextContent.Should().Be("alice");
        page.QuerySelector("#jt-counts [data-status=Running] b")!.TextContent.Should().Be("1");
        page.QuerySelector("#jt-counts [data-status=Failed] b")!.TextContent.Should().Be("1");
        page.QuerySelector("#jt-counts [data-status=ShuttingDown]")!.TextContent.Should().Contain("Server shutdown in progress");
    }

    [Fact]
    public async Task Tracker_Filters_AreReadFromTheUrlAndKeptInTheForm()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var alice = await host.StartGateJobAsync("Import of prices", "alice");
        var bob = await host.StartGateJobAsync("Import of stock", "bob");
        var journal = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters(), new JobStartOptions { DisplayName = "Export of prices", LaunchedBy = "alice" });
        await host.WaitForAsync(journal, JobStatus.Completed);
        var client = host.Client();

        async Task<List<string?>> Ids(string query) =>
            (await client.GetPageAsync("/jobs" + query)).QuerySelectorAll("#jt-rows tr").Select(r => r.GetAttribute("data-job-id")).ToList();

        (await Ids("?user=alice")).Should().BeEquivalentTo([alice.ToString(), journal.ToString()]);
        (await Ids("?q=PRICES")).Should().BeEquivalentTo([alice.ToString(), journal.ToString()]);
        (await Ids("?type=GateJob&user=bob")).Should().Equal(bob.ToString());
        (await Ids("?status=Completed")).Should().Equal(journal.ToString());
        (await Ids("?status=Completed&status=Queued&status=Running&q=stock")).Should().Equal(bob.ToString());
        var today = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd");
        (await Ids($"?from={today}&to={today}")).Should().HaveCount(3);
        (await Ids("?to=2000-01-01")).Should().BeEmpty();

        var page = await client.GetPageAsync("/jobs?q=prices&user=alice");
        ((IHtmlInputElement)page.QuerySelector("input[name=q]")!).Value.Should().Be("prices");
        ((IHtmlInputElement)page.QuerySelector("input[name=user]")!).Value.Should().Be("alice");
        page.QuerySelector("body")!.GetAttribute("data-query").Should().Be("?user=alice&q=prices&size=50");
    }

    [Fact]
    public async Task Tracker_KeysetPaging_FollowsNextLinksOverEveryJobOnce()
    {
        await using var host = await DashboardTestHost.StartAsync(configure: o => o.PageSize = 2);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters(), new JobStartOptions { DisplayName = $"Job {i}" }));
        }

        var client = host.Client();
        var seen = new List<string>();
        var url = "/jobs";
        var pages = 0;
        while (url is not null)
        {
            var page = await client.GetPageAsync(url);
            var rows = page.QuerySelectorAll("#jt-rows tr").Select(r => r.GetAttribute("data-job-id")!).ToList();
            rows.Count.Should().BeLessThanOrEqualTo(2);
            seen.AddRange(rows);
            pages++;
            url = page.QuerySelector("a[rel=next]")?.GetAttribute("href")!;
        }

        pages.Should().Be(3);
        seen.Should().Equal(ids.AsEnumerable().Reverse().Select(i => i.ToString()));
    }

    [Theory]
    [InlineData("?status=Bogus", "status: 'Bogus' is not a job status")]
    [InlineData("?status=2", "status: '2' is not a job status")]
    [InlineData("?from=yesterday", "from: 'yesterday' is not a date")]
    [InlineData("?from=2025-02-01&to=2025-01-01", "from (2025-02-01) is after to (2025-01-01)")]
    [InlineData("?size=0", "size: '0' is not a page size")]
    [InlineData("?size=1001", "size: '1001' is not a page size")]
    [InlineData("?after=not-a-token", "after:")]
    [InlineData("?user=a&user=b", "user is given 2 times")]
    public async Task Tracker_BadParameter_Answers400NamingIt(string query, string expected)
    {
        await using var host = await DashboardTestHost.StartAsync();
        var client = host.Client();

        var html = await client.GetStringAsync("/jobs" + query, HttpStatusCode.BadRequest);
        var json = await client.GetStringAsync("/jobs/api/jobs" + query, HttpStatusCode.BadRequest);

        new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelector(".jt-error")!.TextContent.Should().Contain(expected);
        JsonDocument.Parse(json).RootElement.GetProperty("error").GetString().Should().Contain(expected);
    }

    [Fact]
    public async Task Row_ForAJobThatMatchesThePageFilters_IsServedAlone_ElseNoContent()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync("Live row", "alice");
        var client = host.Client();

        var row = await client.GetStringAsync($"/jobs/rows/{id}?user=alice");
        var skipped = await client.GetAsync($"/jobs/rows/{id}?user=bob");

        row.Should().StartWith("<tr").And.Contain($"data-job-id=\"{id}\"").And.Contain("Live row");
        skipped.StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task LastOperations_AnswersAnHtmlFragmentAndJson_ForOneUserOrEveryone()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var first = await host.StartGateJobAsync("First", "alice");
        var second = await host.StartGateJobAsync("Second", "bob");
        var client = host.Client();

        var fragment = await client.GetPageAsync("/jobs/last-operations?count=1");
        var mine = await client.GetStringAsync("/jobs/api/last-operations?user=alice");
        var bad = await client.GetStringAsync("/jobs/last-operations?count=0", HttpStatusCode.BadRequest);

        fragment.QuerySelectorAll(".jt-last-operations li").Select(li => li.GetAttribute("data-job-id")).Should().Equal(second.ToString());
        fragment.QuerySelector("link, script").Should().BeNull("the fragment goes into a host's own page");
        JsonDocument.Parse(mine).RootElement.EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).Should().Equal(first);
        new AngleSharp.Html.Parser.HtmlParser().ParseDocument(bad).QuerySelector(".jt-error")!.TextContent.Should().Contain("count: '0' is not a count");
    }

    [Fact]
    public async Task Row_QueuedJob_ShowsWhenItWasCreated_ButNoStartNoDurationAndNoProgressBar()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var queued = await host.Runner.Job<GateJob>().StartAsync(new GateParameters(), new JobStartOptions { DisplayName = "Later", Delay = TimeSpan.FromHours(1) });
        var finished = await host.Runner.Job<EchoJob>().StartAsync(new EchoParameters("no total"), new JobStartOptions { DisplayName = "No total" });
        await host.WaitForAsync(finished, JobStatus.Completed);
        var created = (await host.Tracker.GetAsync(queued)).CreatedAt;

        var page = await host.Client().GetPageAsync("/jobs");

        var row = page.QuerySelector($"#jt-rows tr[data-job-id='{queued}']")!;
        page.QuerySelectorAll("thead th").Select(h => h.TextContent).Should().ContainInOrder("Created", "Started", "Elapsed");
        row.QuerySelector(".jt-created time")!.GetAttribute("datetime").Should().Be(Iso(created));
        row.QuerySelector(".jt-started")!.TextContent.Should().Be("—", "a queued job has not started");
        row.QuerySelector(".jt-duration")!.TextContent.Should().Be("—");
        page.QuerySelectorAll("progress").Should().BeEmpty("neither a queued job nor one that finished without a total has a bar to fill, and a bar without a value moves for ever");
    }

    [Fact]
    public async Task Row_Duration_CarriesItsStartForTheScriptOnlyWhileActive_AndAPausedJobShowsNoFigure()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var running = await host.StartGateJobAsync("Running");
        var paused = await host.StartGateJobAsync("Paused");
        var done = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters(), new JobStartOptions { DisplayName = "Done" });
        await host.WaitForAsync(running, JobStatus.Running);
        await host.WaitForAsync(paused, JobStatus.Running);
        await host.Runner.PauseAsync(paused);
        await host.WaitForAsync(paused, JobStatus.Paused);
        await host.WaitForAsync(done, JobStatus.Completed);
        var started = (await host.Tracker.GetAsync(running)).StartedAt!.Value;

        var page = await host.Client().GetPageAsync("/jobs");
        AngleSharp.Dom.IElement Duration(Guid id) => page.QuerySelector($"#jt-rows tr[data-job-id='{id}'] .jt-duration")!;

        Duration(running).GetAttribute("data-started").Should().Be(Iso(started), "the script counts on from the start while the job runs");
        Duration(running).GetAttribute("data-now").Should().NotBeNullOrEmpty("the script measures from the server's clock, not the browser's");
        Duration(paused).TextContent.Should().Be("—", "the stores keep no pause times, so a paused job has no true running time to show (not 0.0 s)");
        Duration(paused).HasAttribute("data-started").Should().BeFalse("a paused job's figure does not tick");
        Duration(done).HasAttribute("data-started").Should().BeFalse();
        Duration(done).TextContent.Should().EndWith(" s", "a finished job shows its start to its end");
    }

    [Fact]
    public async Task Row_JobInAStep_SaysWhichStepOfHowMany()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.Runner.Job<StepGateJob>().StartAsync(new StepGateParameters(), new JobStartOptions { DisplayName = "Steps" });
        await Wait.UntilAsync(async () => (await host.Tracker.GetAsync(id)).Steps is [_, { Status: JobStepStatus.Running }, _], "the running second step is stored");

        var page = await host.Client().GetPageAsync("/jobs");

        page.QuerySelector($"#jt-rows tr[data-job-id='{id}'] .jt-step")!.TextContent.Should().Be("step 2 of 3 — validate");
    }

    [Fact]
    public async Task LastOperations_SaysWhichTimeItShows_CreatedForAJobThatHasNotStarted()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var queued = await host.Runner.Job<GateJob>().StartAsync(new GateParameters(), new JobStartOptions { DisplayName = "Later", Delay = TimeSpan.FromHours(1) });
        var running = await host.StartGateJobAsync("Now");
        await host.WaitForAsync(running, JobStatus.Running);

        var fragment = await host.Client().GetPageAsync("/jobs/last-operations");

        fragment.QuerySelector($"li[data-job-id='{queued}']")!.TextContent.Should().Contain("created 20", "a queued job has no start time");
        fragment.QuerySelector($"li[data-job-id='{running}']")!.TextContent.Should().Contain("started 20");
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
