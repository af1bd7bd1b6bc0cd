using System.Net;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Dashboard.Tests;

public sealed class JobPageTests
{
    [Fact]
    public async Task General_ShowsTheReport_AndParametersCheckpointAndStackOnlyToThoseWhoMayAct()
    {
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true);
        var journal = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters(), new JobStartOptions { DisplayName = "Journal", LaunchedBy = "alice" });
        var failed = await host.Runner.Job<FailJob>().StartAsync(new FailParameters());
        await host.WaitForAsync(journal, JobStatus.Completed);
        await host.WaitForAsync(failed, JobStatus.Failed);
        var operatorClient = host.Client("203.0.113.7", "olga", "operator");
        var readerClient = host.Client("203.0.113.8", "rita", "reader");

        var asOperator = await operatorClient.GetPageAsync($"/jobs/{journal}");
        var asReader = await readerClient.GetPageAsync($"/jobs/{journal}");
        var failedAsOperator = await operatorClient.GetPageAsync($"/jobs/{failed}");
        var failedAsReader = await readerClient.GetPageAsync($"/jobs/{failed}");

        asOperator.QuerySelector(".jt-job-title .jt-badge")!.TextContent.Should().Be("Finished with warnings");
        asOperator.QuerySelector(".jt-facts")!.TextContent.Should().Contain("alice").And.Contain("Warnings");
        asOperator.QuerySelectorAll("table.jt-table tbody tr td:first-child").Select(c => c.TextContent).Should().Contain("load");
        asOperator.QuerySelector("#jt-parameters")!.TextContent.Should().Contain("s3cret-parameter");
        asOperator.QuerySelector("#jt-checkpoint")!.TextContent.Should().Contain("checkpoint-value");
        asReader.QuerySelector("#jt-parameters").Should().BeNull();
        asReader.QuerySelector("#jt-checkpoint").Should().BeNull();
        asReader.Source.Text.Should().NotContain("s3cret-parameter").And.NotContain("checkpoint-value");
        failedAsOperator.QuerySelector(".jt-error-box")!.TextContent.Should().Contain(FailJob.Message);
        failedAsOperator.QuerySelector(".jt-error-box details pre")!.TextContent.Should().Contain("at JobTracking.Dashboard.Tests.FailJob");
        failedAsReader.QuerySelector(".jt-error-box")!.TextContent.Should().Contain("The job failed");
        failedAsReader.QuerySelector(".jt-error-box details").Should().BeNull("stack traces are for those who may act");
        failedAsReader.Source.Text.Should().NotContain("at JobTracking.Dashboard.Tests.FailJob").And.NotContain("boom").And.NotContain(nameof(InvalidOperationException),
            "error messages are for those who may act unless the host opts in");

        var readerJson = JsonDocument.Parse(await readerClient.GetStringAsync($"/jobs/api/jobs/{failed}")).RootElement;
        var operatorJson = JsonDocument.Parse(await operatorClient.GetStringAsync($"/jobs/api/jobs/{failed}")).RootElement;
        readerJson.TryGetProperty("parameters", out _).Should().BeFalse();
        readerJson.GetProperty("error").TryGetProperty("stackTrace", out _).Should().BeFalse();
        readerJson.GetProperty("error").TryGetProperty("message", out _).Should().BeFalse();
        readerJson.GetProperty("error").TryGetProperty("type", out _).Should().BeFalse();
        readerJson.GetProperty("attempts")[0].GetProperty("error").TryGetProperty("message", out _).Should().BeFalse();
        operatorJson.GetProperty("error").GetProperty("message").GetString().Should().Be(FailJob.Message);
        readerJson.GetProperty("commands").GetArrayLength().Should().Be(0);
        operatorJson.GetProperty("error").GetProperty("stackTrace").GetString().Should().Contain("FailJob");
        operatorJson.GetProperty("commands").EnumerateArray().Select(c => c.GetString()).Should().Equal("restart");
    }

    [Fact]
    public async Task ShowErrorsToReaders_ReadersSeeTheErrorsTypeAndMessage_NeverItsStackTrace()
    {
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true, configure: o => o.ShowErrorsToReaders = true);
        var failed = await host.Runner.Job<FailJob>().StartAsync(new FailParameters());
        await host.WaitForAsync(failed, JobStatus.Failed);
        var readerClient = host.Client("203.0.113.8", "rita", "reader");

        var page = await readerClient.GetPageAsync($"/jobs/{failed}");
        var json = JsonDocument.Parse(await readerClient.GetStringAsync($"/jobs/api/jobs/{failed}")).RootElement;

        page.QuerySelector(".jt-error-box")!.TextContent.Should().Contain(FailJob.Message).And.Contain(nameof(InvalidOperationException));
        page.QuerySelector(".jt-error-box details").Should().BeNull();
        json.GetProperty("error").GetProperty("message").GetString().Should().Be(FailJob.Message);
        json.GetProperty("error").TryGetProperty("stackTrace", out _).Should().BeFalse();
    }

    [Fact]
    public async Task Tabs_EncodeEveryUserText_SoMarkupShowsAsText()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters(), new JobStartOptions { DisplayName = "<script>alert('name')</script>" });
        var failed = await host.Runner.Job<FailJob>().StartAsync(new FailParameters(), new JobStartOptions { DisplayName = "<img src=x onerror=alert(1)>" });
        await host.WaitForAsync(id, JobStatus.Completed);
        await host.WaitForAsync(failed, JobStatus.Failed);
        var client = host.Client();

        foreach (var url in new[] { "/jobs", $"/jobs/{id}", $"/jobs/{id}?tab=log", $"/jobs/{id}?tab=rejects", $"/jobs/{failed}", "/jobs/last-operations" })
        {
            var html = await client.GetStringAsync(url);
            var page = new HtmlParser().ParseDocument(html);

            page.QuerySelectorAll("script").Should().NotContain(s => !s.HasAttribute("src"), $"{url} has no script of its own making");
            page.QuerySelectorAll("script[src]").Should().HaveCountLessThanOrEqualTo(1);
            page.QuerySelectorAll("img").Should().BeEmpty(url);
            page.QuerySelectorAll("[style]").Should().BeEmpty("the Content-Security-Policy allows no inline style");
            html.Should().NotContain("<script>alert").And.NotContain("<img src=x");
        }

        var log = new HtmlParser().ParseDocument(await client.GetStringAsync($"/jobs/{id}?tab=log"));
        var rejects = new HtmlParser().ParseDocument(await client.GetStringAsync($"/jobs/{id}?tab=rejects"));
        var error = new HtmlParser().ParseDocument(await client.GetStringAsync($"/jobs/{failed}"));
        log.QuerySelectorAll(".jt-message").Select(m => m.TextContent).Should().Contain("Line with markup: " + JournalJob.LogScript);
        rejects.QuerySelectorAll(".jt-rejects code").Select(m => m.TextContent).Should().Contain(JournalJob.RejectScript);
        rejects.QuerySelectorAll(".jt-rejects td").Select(m => m.TextContent).Should().Contain("markup <b>in</b> a record");
        error.QuerySelector(".jt-job-name")!.TextContent.Should().Be("<img src=x onerror=alert(1)>");
        error.QuerySelector(".jt-error-box")!.TextContent.Should().Contain(FailJob.Message);
    }

    [Fact]
    public async Task Log_FiltersByLevelAndPages()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters());
        await host.WaitForAsync(id, JobStatus.Completed);
        var client = host.Client();

        var errors = await client.GetPageAsync($"/jobs/{id}?tab=log&level=Error");
        var firstPage = await client.GetPageAsync($"/jobs/{id}?tab=log&size=1");
        var next = firstPage.QuerySelector("a[rel=next]")!.GetAttribute("href")!;
        var secondPage = await client.GetPageAsync(next);
        var apiPage = JsonDocument.Parse(await client.GetStringAsync($"/jobs/api/jobs/{id}/log?size=2")).RootElement;
        var badLevel = await client.GetStringAsync($"/jobs/{id}?tab=log&level=Loud", HttpStatusCode.BadRequest);

        errors.QuerySelectorAll(".jt-log tbody tr").Select(r => r.QuerySelector("td:nth-child(2)")!.TextContent).Should().Equal("Error");
        firstPage.QuerySelectorAll(".jt-log tbody tr").Should().HaveCount(1);
        secondPage.QuerySelectorAll(".jt-log tbody tr").Should().HaveCount(1);
        secondPage.QuerySelector(".jt-message")!.TextContent.Should().NotBe(firstPage.QuerySelector(".jt-message")!.TextContent);
        apiPage.GetProperty("items").GetArrayLength().Should().Be(2);
        apiPage.GetProperty("nextPageToken").GetString().Should().NotBeNull();
        badLevel.Should().Contain("level:");
    }

    [Fact]
    public async Task RejectsCsv_IsTheCoreExport_WithFormulaCellsNeutralised()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters());
        await host.WaitForAsync(id, JobStatus.Completed);

        var response = await host.Client().GetAsync($"/jobs/{id}/rejects.csv");
        var csv = await response.Content.ReadAsStringAsync();

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        response.Content.Headers.ContentDisposition!.DispositionType.Should().Be("attachment");
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().Be("RecordNumber,Reason,RawRecord,RejectedAt");
        lines.Should().HaveCount(5);
        lines[2].Should().StartWith("2,formula in the record,'=cmd|' /C calc'!A0,");
        lines[3].Should().StartWith("3,'+SUM(A1:A2),\"ok,record\",");
        lines[4].Should().StartWith("4,'-2+3,'@evil,");
        lines.Skip(1).SelectMany(l => l.Split(',')).Should().NotContain(cell => cell.Length > 0 && "=+-@".Contains(cell[0]));
    }

    [Fact]
    public async Task JobPage_UnknownJobOrTab_AnswersWithWhatWasWrong()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        var client = host.Client();
        var missing = Guid.NewGuid();

        var notFound = await client.GetStringAsync($"/jobs/{missing}", HttpStatusCode.NotFound);
        var apiNotFound = await client.GetStringAsync($"/jobs/api/jobs/{missing}", HttpStatusCode.NotFound);
        var csvNotFound = await client.GetAsync($"/jobs/{missing}/rejects.csv");
        var badTab = await client.GetStringAsync($"/jobs/{id}?tab=secrets", HttpStatusCode.BadRequest);

        notFound.Should().Contain(missing.ToString());
        JsonDocument.Parse(apiNotFound).RootElement.GetProperty("error").GetString().Should().Contain(missing.ToString());
        csvNotFound.StatusCode.Should().Be(HttpStatusCode.NotFound);
        badTab.Should().Contain("tab:");
    }

    [Fact]
    public async Task General_PausedJob_ShowsItsRunningTimeWithoutTicking_AndItsStepSaysPaused()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.Runner.Job<StepGateJob>().StartAsync(new StepGateParameters(), new JobStartOptions { DisplayName = "Steps" });
        await host.WaitForAsync(id, JobStatus.Running);
        await host.Runner.PauseAsync(id);
        await host.WaitForAsync(id, JobStatus.Paused);

        var page = await host.Client().GetPageAsync($"/jobs/{id}");

        Fact(page, "Running time").Should().EndWith(" s", "the history tells how long it ran before its pause");
        page.QuerySelector(".jt-facts .jt-duration")!.HasAttribute("data-started").Should().BeFalse("a paused job's running time does not tick");
        Fact(page, "Started").Should().NotBe("—");
        page.QuerySelectorAll("table.jt-table tbody tr").Where(r => r.QuerySelector("td")!.TextContent == "validate")
            .Select(r => r.QuerySelector("td:nth-child(2)")!.TextContent).Should().Equal(["Paused"], "a step under way says what its job is doing");
        page.QuerySelectorAll("table.jt-table tbody tr").Where(r => r.QuerySelector("td")!.TextContent == "read")
            .Select(r => r.QuerySelector("td:nth-child(2)")!.TextContent).Should().Equal(["Finished"], "steps use the same words as jobs");
    }

    [Fact]
    public async Task General_RunningJob_DurationCarriesItsStartForTheScript()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        var job = await host.WaitForAsync(id, JobStatus.Running);

        var page = await host.Client().GetPageAsync($"/jobs/{id}");

        var duration = page.QuerySelector(".jt-facts .jt-duration");
        duration.Should().NotBeNull();
        duration!.GetAttribute("data-started").Should().Be(job.StartedAt!.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task General_RunningTime_LeavesOutThePausedTime_TicksWhileRunning_AndIsFrozenWhilePaused()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        await using var host = await DashboardTestHost.StartAsync(jobs: b => b.Services.AddSingleton<TimeProvider>(clock));
        var client = host.Client();
        var id = await host.Runner.Job<GateJob>().StartAsync(new GateParameters(), new JobStartOptions { DisplayName = "Timed" });
        await host.WaitForAsync(id, JobStatus.Running);
        var started = (await host.Tracker.GetAsync(id)).StartedAt!.Value;

        clock.Advance(TimeSpan.FromSeconds(10));
        await host.Runner.PauseAsync(id);
        clock.Advance(TimeSpan.FromMilliseconds(10)); // the job's next safe point
        await host.WaitForAsync(id, JobStatus.Paused);
        clock.Advance(TimeSpan.FromSeconds(20) - TimeSpan.FromMilliseconds(10));
        var paused = await client.GetPageAsync($"/jobs/{id}");

        await host.Runner.ResumeAsync(id);
        await host.WaitForAsync(id, JobStatus.Running);
        clock.Advance(TimeSpan.FromSeconds(5));
        var resumed = await client.GetPageAsync($"/jobs/{id}");

        Fact(paused, "Running time").Should().Be("10.0 s", "it ran 10 s before its pause");
        paused.QuerySelector(".jt-facts .jt-duration")!.HasAttribute("data-started").Should().BeFalse("frozen while paused");
        Fact(resumed, "Running time").Should().Be("15.0 s", "10 s before the pause and 5 s after the resume; the 20 s paused are left out");
        var ticking = resumed.QuerySelector(".jt-facts .jt-duration")!;
        ticking.GetAttribute("data-started").Should().Be(Iso(started + TimeSpan.FromSeconds(20)), "the script counts on from the start the job would have had without its pause");
        ticking.GetAttribute("data-now").Should().Be(Iso(started + TimeSpan.FromSeconds(35)));
    }

    [Fact]
    public async Task General_AttemptOfAJobFinishedWithWarnings_SaysFinishedWithWarnings()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters());
        await host.WaitForAsync(id, JobStatus.Completed);
        var client = host.Client();

        var page = await client.GetPageAsync($"/jobs/{id}");
        var json = JsonDocument.Parse(await client.GetStringAsync($"/jobs/api/jobs/{id}")).RootElement;

        var attempts = page.QuerySelectorAll("table.jt-table").Single(t => t.QuerySelector("th")!.TextContent == "Attempt");
        attempts.QuerySelector("tbody tr td:nth-child(4)")!.TextContent.Should().Be("Finished with warnings", "the attempt says what the job says");
        json.GetProperty("attempts")[0].GetProperty("statusLabel").GetString().Should().Be("Finished with warnings");
    }

    [Fact]
    public async Task LogCsv_IsTheWholeLogForReaders_WithFormulaCellsNeutralised()
    {
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true);
        var id = await host.Runner.Job<EchoJob>().StartAsync(new EchoParameters("=HYPERLINK(\"http://evil\",\"x\");1"));
        await host.WaitForAsync(id, JobStatus.Completed);
        var reader = host.Client("203.0.113.8", "rita", "reader");

        var logTab = await reader.GetPageAsync($"/jobs/{id}?tab=log");
        var response = await reader.GetAsync(logTab.QuerySelector("#jt-log-csv")?.GetAttribute("href") ?? $"/jobs/{id}/log.csv");
        var csv = await response.Content.ReadAsStringAsync();
        var stranger = await host.Client("203.0.113.9").GetAsync($"/jobs/{id}/log.csv");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        response.Content.Headers.ContentDisposition!.DispositionType.Should().Be("attachment");
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().Be("Time,Level,Message");
        lines.Should().HaveCount(2);
        lines[1].Should().EndWith(",Information,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\");1\"");
        stranger.StatusCode.Should().NotBe(HttpStatusCode.OK, "the log is for those the read policy allows");
    }

    [Fact]
    public async Task General_ImportWithFiveRejects_CountsFiveWarnings_OnTheJobAndOnTheStepThatRejected()
    {
        // The web sample's import of products.csv: 24 rows, 5 of them rejected. Each reject was counted twice (the reject
        // and a warning line about it), and never on the step that rejected it.
        var work = Directory.CreateTempSubdirectory("jobtracking-import-");
        try
        {
            await using var host = await DashboardTestHost.StartAsync(jobs: b =>
            {
                b.Services.AddSingleton(new JobTracking.WebSample.SampleFolders(Path.Combine(AppContext.BaseDirectory, "data"), work.FullName));
                b.Services.AddSingleton(new JobTracking.WebSample.Catalog.ProductCatalog(Path.Combine(work.FullName, "catalog.json")));
                b.AddJob<JobTracking.WebSample.Jobs.ProductImportJob>();
            });
            var id = await host.Runner.Job<JobTracking.WebSample.Jobs.ProductImportJob>().StartAsync(new JobTracking.WebSample.Jobs.ProductImportParameters { RowDelayMilliseconds = 0 });
            await host.WaitForAsync(id, JobStatus.Completed);
            var client = host.Client();

            var page = await client.GetPageAsync($"/jobs/{id}");
            var rejects = await client.GetPageAsync($"/jobs/{id}?tab=rejects");

            rejects.QuerySelectorAll(".jt-rejects tbody tr").Should().HaveCount(5);
            page.QuerySelector(".jt-facts .jt-warnings")!.TextContent.Should().Be("5", "one reject is one warning");
            var steps = page.QuerySelectorAll("table.jt-table").First(t => t.QuerySelector("th")!.TextContent == "Step");
            steps.QuerySelectorAll("tbody tr").Select(r => (r.QuerySelector("td")!.TextContent, r.QuerySelector("td:nth-child(6)")!.TextContent))
                .Should().Equal([("read", "0"), ("validate and write", "5")], "the step that rejected the rows counts them, so the steps add up to the job's count");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static string Fact(AngleSharp.Html.Dom.IHtmlDocument page, string name) =>
        page.QuerySelectorAll(".jt-facts > div").Single(d => d.QuerySelector("dt")!.TextContent == name).QuerySelector("dd")!.TextContent;
}
