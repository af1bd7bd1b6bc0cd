using System.Net;
using System.Text.Json;
using JobTracking.Storage;
using JobTracking.Testing;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Dashboard.Tests;

/// <summary>The Instances page and its JSON: two hosts sharing one store, a clean stop, a silent instance judged by the store's clock.</summary>
public sealed class InstancesPageTests
{
    private const string Hostile = "beta <script>alert('node')</script>";

    [Fact]
    public async Task TwoHostsSharingAStore_AreListed_WithTheRunningJobsLinkedToTheTrackerOnTheirNode_AndOneStoppedIsGone()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var store = new InMemoryJobStore(clock);
        await using var alpha = await StartAsync(store, "alpha");
        var beta = await StartAsync(store, Hostile);
        // The in-memory store wakes every host sharing it, so either may run the job.
        var id = await alpha.StartGateJobAsync("Nightly import");
        await alpha.WaitForAsync(id, JobStatus.Running);
        await Wait.UntilAsync(async () => (await alpha.Tracker.GetInstancesAsync()).Sum(i => i.RunningJobs) == 1, "a heartbeat with the running job");
        var runner = (await alpha.Tracker.GetAsync(id)).Node!;

        var response = await alpha.Client().GetAsync("/jobs/instances");
        var text = await response.Content.ReadAsStringAsync();
        var page = await alpha.Client().GetPageAsync("/jobs/instances");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        text.Should().NotContain(Hostile);
        var rows = page.QuerySelectorAll("table.jt-instances tbody tr");
        rows.Select(r => r.QuerySelector("td.jt-name b")!.TextContent).Should().Equal("alpha", Hostile);
        rows[0].TextContent.Should().Contain("(this instance)").And.Contain("Answering");
        rows[1].TextContent.Should().NotContain("(this instance)");
        rows.Select(r => r.GetAttribute("data-instance")).Should().OnlyHaveUniqueItems().And.OnlyContain(i => i!.Contains(':'));
        rows[0].QuerySelector("td[data-label='Workers']")!.TextContent.Should().Be("8");
        var running = page.QuerySelectorAll("td[data-label='Running jobs'] a").Should().ContainSingle().Subject;
        (running.TextContent, running.GetAttribute("href")).Should().Be(("1", "/jobs?status=Running&node=" + Uri.EscapeDataString(runner)));
        page.QuerySelectorAll("td[data-label='Running jobs']").Select(c => c.TextContent).Should().BeEquivalentTo(["0", "1"]);
        rows[0].QuerySelectorAll("td[data-label='Started'] time, td[data-label='Last heartbeat'] time").Should().HaveCount(2);
        rows[0].QuerySelector("td[data-label='Last heartbeat']")!.TextContent.Should().Contain("s ago");
        page.QuerySelector("a.jt-nav[href='/jobs/instances']").Should().NotBeNull("every page links to the instances");

        var onRunner = await alpha.Client().GetPageAsync(running.GetAttribute("href")!);
        onRunner.QuerySelectorAll("tr[data-job-id]").Select(r => r.GetAttribute("data-job-id")).Should().Equal(id.ToString());
        var other = runner == "alpha" ? Hostile : "alpha";
        (await alpha.Client().GetPageAsync("/jobs?node=" + Uri.EscapeDataString(other))).QuerySelectorAll("tr[data-job-id]").Should().BeEmpty();

        using var json = JsonDocument.Parse(await alpha.Client().GetStringAsync("/jobs/api/instances"));
        json.RootElement.GetProperty("keepsInstances").GetBoolean().Should().BeTrue();
        var listed = json.RootElement.GetProperty("instances").EnumerateArray().ToList();
        listed.Select(i => i.GetProperty("node").GetString()).Should().Equal("alpha", Hostile);
        listed[0].GetProperty("isCurrent").GetBoolean().Should().BeTrue();
        listed[0].GetProperty("isAnswering").GetBoolean().Should().BeTrue();
        listed.Sum(i => i.GetProperty("runningJobs").GetInt32()).Should().Be(1);
        listed[0].GetProperty("maxConcurrency").GetInt32().Should().Be(8);
        listed[0].GetProperty("version").GetString().Should().NotBeNullOrEmpty();

        await beta.DisposeAsync();

        (await alpha.Client().GetPageAsync("/jobs/instances")).QuerySelectorAll("table.jt-instances tbody tr").Should().ContainSingle("an instance that stops cleanly takes itself off the list");
    }

    [Fact]
    public async Task SilentInstance_IsShownNotAnswering_ThenForgotten_ByTheStoresClock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var store = new InMemoryJobStore(clock);
        await using var alpha = await StartAsync(store, "alpha");
        await store.RecordHeartbeatAsync(new JobInstanceHeartbeat { InstanceId = "gone:1:ff", Node = "gone", Version = "0.9.0", MaxConcurrency = 2, RunningJobs = 1 });

        clock.Advance(TimeSpan.FromSeconds(31));
        await Wait.UntilAsync(async () => (await alpha.Tracker.GetInstancesAsync()).Single(i => i.IsCurrent).IsAnswering, "alpha's next heartbeat by the store's clock");
        var page = await alpha.Client().GetPageAsync("/jobs/instances");

        var gone = page.QuerySelector("tr[data-instance='gone:1:ff']")!;
        gone.QuerySelector(".jt-badge")!.TextContent.Should().Be("Not answering");
        gone.QuerySelector("td[data-label='Last heartbeat']")!.TextContent.Should().Contain("31.0 s ago");
        page.QuerySelector("main p")!.TextContent.Should().Contain("2 instances, 1 not answering");

        clock.Advance(TimeSpan.FromMinutes(5));
        await Wait.UntilAsync(async () => (await alpha.Tracker.GetInstancesAsync()).Count == 1, "the silent instance forgotten at alpha's next heartbeat");
        (await alpha.Client().GetPageAsync("/jobs/instances")).QuerySelector("tr[data-instance='gone:1:ff']").Should().BeNull();
    }

    [Fact]
    public async Task StoreKeepingNoInstances_PageSaysSo_AndTheApiSaysItKeepsNone()
    {
        await using var host = await DashboardTestHost.StartAsync(jobs: b => b.UseStore(new FaultInjectingJobStore(new InMemoryJobStore())));

        var page = await host.Client().GetPageAsync("/jobs/instances");
        using var json = JsonDocument.Parse(await host.Client().GetStringAsync("/jobs/api/instances"));

        page.QuerySelector(".jt-empty")!.TextContent.Should().Contain("keeps no list of instances");
        json.RootElement.GetProperty("keepsInstances").GetBoolean().Should().BeFalse();
        json.RootElement.GetProperty("instances").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Reader_SeesTheInstances_ButTheirIdsOnlyWhenAllowedToAct()
    {
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true);
        await Wait.UntilAsync(async () => (await host.Tracker.GetInstancesAsync()).Count == 1, "the host's first heartbeat");
        var id = (await host.Tracker.GetInstancesAsync()).Single().InstanceId;
        var reader = host.Client(user: "rita", role: "reader");
        var operatorClient = host.Client(user: "olga", role: "operator");

        var readerPage = await reader.GetStringAsync("/jobs/instances");
        var readerJson = await reader.GetStringAsync("/jobs/api/instances");
        var operatorPage = await operatorClient.GetPageAsync("/jobs/instances");
        using var operatorJson = JsonDocument.Parse(await operatorClient.GetStringAsync("/jobs/api/instances"));

        readerPage.Should().NotContain(id).And.Contain("shown to operators");
        readerJson.Should().NotContain(id);
        operatorPage.QuerySelector("td[data-label='Id'] code")!.TextContent.Should().Be(id);
        operatorJson.RootElement.GetProperty("instances")[0].GetProperty("instanceId").GetString().Should().Be(id);
        (await host.Client(user: "nobody", role: "guest").GetAsync("/jobs/instances")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "the page needs the read policy");
    }

    private static Task<DashboardTestHost> StartAsync(InMemoryJobStore store, string node) =>
        DashboardTestHost.StartAsync(jobs: b => b.UseStore(store).Configure(o =>
        {
            o.NodeName = node;
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        }));
}
