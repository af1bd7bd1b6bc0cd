using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace JobTracking.Dashboard.Tests;

public sealed class SecurityTests
{
    public static TheoryData<string> EveryGet() =>
    [
        "/jobs", "/jobs/last-operations", "/jobs/events", "/jobs/api/jobs", "/jobs/api/counts", "/jobs/api/last-operations", "/jobs/api/antiforgery",
        "/jobs/instances", "/jobs/api/instances",
        "/jobs/assets/dashboard.css",
    ];

    [Theory]
    [MemberData(nameof(EveryGet))]
    public async Task NoPolicy_RemoteRequest_IsRefusedEverywhere(string url)
    {
        await using var host = await DashboardTestHost.StartAsync();

        var remote = await host.Client(remote: "203.0.113.9").GetAsync(url);

        remote.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await remote.Content.ReadAsStringAsync()).Should().Contain("local requests only");
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public async Task NoPolicy_LoopbackRequest_MayReadAndAct(string address)
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);

        var page = await host.Client(remote: address).GetPageAsync($"/jobs/{id}");

        page.QuerySelectorAll(".jt-commands button").Select(b => b.TextContent).Should().Equal("Pause", "Cancel");
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST:5000")]
    [InlineData("127.0.0.1:8080")]
    [InlineData("[::1]:443")]
    public async Task NoPolicy_LoopbackRequestNamingThisMachine_MayRead(string hostHeader)
    {
        await using var host = await DashboardTestHost.StartAsync();
        var client = host.Client();
        client.Headers["Host"] = hostHeader;

        var response = await client.GetAsync("/jobs/api/jobs");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:80")]
    [InlineData("127.0.0.1.attacker.example")]
    [InlineData("localhost.attacker.example")]
    [InlineData("10.0.0.5")]
    public async Task NoPolicy_LoopbackRequestNamingAnotherHost_DnsRebinding_CannotReadOrAct(string hostHeader)
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var client = host.Client();
        var token = await client.TokenAsync(); // a genuine token, taken while the page was served as localhost
        client.Headers["Host"] = hostHeader;

        var read = await client.GetAsync("/jobs/api/jobs");
        var page = await client.GetAsync($"/jobs/{id}");
        var cancel = await client.PostFormAsync($"/jobs/{id}/cancel", [new("confirmed", "yes")], token);
        var api = await client.PostJsonAsync($"/jobs/api/jobs/{id}/cancel", "{}", token);

        read.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await read.Content.ReadAsStringAsync()).Should().Contain("does not name this machine in its Host header");
        page.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        cancel.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        api.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Running, "nothing changed");
    }

    [Theory]
    [InlineData("X-Forwarded-For", "203.0.113.50")]
    [InlineData("Forwarded", "for=203.0.113.50;proto=https")]
    [InlineData("X-Real-IP", "203.0.113.50")]
    [InlineData("X-Forwarded-Host", "jobs.example")]
    public async Task NoPolicy_LoopbackRequestThroughAProxy_CannotReadOrAct(string header, string value)
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var client = host.Client();
        var token = await client.TokenAsync();
        client.Headers[header] = value;

        var read = await client.GetAsync("/jobs/api/jobs");
        var restart = await client.PostJsonAsync($"/jobs/api/jobs/{id}/cancel", "{}", token);

        read.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await read.Content.ReadAsStringAsync()).Should().Contain("came through a proxy").And.Contain(header);
        restart.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Running, "nothing changed");
    }

    [Fact]
    public async Task NoPolicy_RemoteCommands_AreRefusedAndChangeNothing()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var remote = host.Client(remote: "198.51.100.4");

        var form = await remote.PostFormAsync($"/jobs/{id}/cancel", [new("confirmed", "yes")], token: null);
        var api = await remote.PostJsonAsync($"/jobs/api/jobs/{id}/cancel", "{}", token: null);

        form.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        api.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Running);
    }

    [Fact]
    public async Task Policies_AnonymousIsRefused_ReaderReadsWithoutButtons_OperatorActs()
    {
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true);
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var reader = host.Client("203.0.113.8", "rita", "reader");
        var operatorClient = host.Client("203.0.113.7", "olga", "operator");

        var anonymous = await host.Client().GetAsync("/jobs");
        var stranger = await host.Client("203.0.113.6", "sam", "guest").GetAsync("/jobs/api/jobs");
        var readerPage = await reader.GetPageAsync($"/jobs/{id}");
        var readerList = await reader.GetPageAsync("/jobs");
        var operatorPage = await operatorClient.GetPageAsync($"/jobs/{id}");

        anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "even a local request needs the policy once one is set: it is asked to sign in");
        stranger.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        readerPage.QuerySelectorAll("form[method=post], button[data-confirm]").Should().BeEmpty();
        readerPage.QuerySelector("meta[name=jt-antiforgery]").Should().BeNull();
        readerList.QuerySelectorAll("input[type=checkbox], button[name=command]").Should().BeEmpty();
        operatorPage.QuerySelectorAll(".jt-commands button").Select(b => b.TextContent).Should().Equal("Pause", "Cancel");
    }

    [Fact]
    public async Task Reader_CommandsAnswer403_EvenWithAValidToken()
    {
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true);
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var operatorClient = host.Client("203.0.113.7", "olga", "operator");
        var token = await operatorClient.TokenAsync();
        var reader = host.Client("203.0.113.8", "rita", "reader");

        var form = await reader.PostFormAsync($"/jobs/{id}/cancel", [new("confirmed", "yes")], token);
        var api = await reader.PostJsonAsync($"/jobs/api/jobs/{id}/pause", "{}", token);
        var bulk = await reader.PostJsonAsync("/jobs/api/bulk", $"{{\"command\":\"cancel\",\"ids\":[\"{id}\"]}}", token);
        var antiforgery = await reader.GetAsync("/jobs/api/antiforgery");

        form.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        api.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        bulk.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        antiforgery.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await api.Content.ReadAsStringAsync()).Should().Contain("may read the job dashboard but not act");
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Running);
    }

    [Fact]
    public async Task Command_WithoutAntiforgeryToken_IsRefusedAndChangesNothing()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var client = host.Client();
        await client.TokenAsync();

        var form = await client.PostFormAsync($"/jobs/{id}/cancel", [new("confirmed", "yes")], token: null);
        var forged = await client.PostFormAsync($"/jobs/{id}/cancel", [new("confirmed", "yes")], token: "forged");
        var api = await client.PostJsonAsync($"/jobs/api/jobs/{id}/cancel", "{}", token: null);
        var bulk = await client.PostFormAsync("/jobs/bulk", [new("command", "cancel-all"), new("confirmed", "yes")], token: null);

        form.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        forged.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        api.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        bulk.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await form.Content.ReadAsStringAsync()).Should().Contain("antiforgery");
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Running);
    }

    [Theory]
    [InlineData("cross-site")]
    [InlineData("same-site")]
    [InlineData("none")]
    public async Task Command_FromAnotherSite_IsRefusedEvenWithAToken(string site)
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.StartGateJobAsync();
        await host.WaitForAsync(id, JobStatus.Running);
        var client = host.Client();
        var token = await client.TokenAsync();

        var response = await client.PostFormAsync($"/jobs/{id}/cancel", [new("confirmed", "yes")], token, fetchSite: site);

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).Should().Contain("Sec-Fetch-Site");
        (await host.Tracker.GetAsync(id)).Status.Should().Be(JobStatus.Running);
    }

    [Fact]
    public async Task Pages_CarryAStrictContentSecurityPolicy_AndNoCorsHeaders()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, "/jobs/api/jobs");
        request.Headers.Add("Origin", "https://evil.example");

        var page = await host.Client().GetAsync("/jobs");
        var api = await host.Client().SendAsync(request);

        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        csp.Should().Contain("script-src 'self'").And.Contain("style-src 'self'").And.Contain("frame-ancestors 'none'").And.NotContain("unsafe-inline");
        page.Headers.GetValues("X-Content-Type-Options").Single().Should().Be("nosniff");
        api.Headers.Contains("Access-Control-Allow-Origin").Should().BeFalse();
    }

    [Fact]
    public void Map_WithoutTheDashboardServices_SaysWhatToCall()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddJobTracking();
        using var app = builder.Build();

        var act = () => app.MapJobTrackingDashboard("/jobs");

        act.Should().Throw<InvalidOperationException>().WithMessage("*AddJobTrackingDashboard()*");
    }

    [Theory]
    [InlineData("jobs")]
    [InlineData("/jobs/{id}")]
    public void Map_WithAPathThatIsNotALiteralPath_IsRefused(string path)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddJobTracking().AddJobTrackingDashboard();
        using var app = builder.Build();

        var act = () => app.MapJobTrackingDashboard(path);

        act.Should().Throw<ArgumentException>().WithMessage($"*'{path}'*");
    }

    [Fact]
    public void Options_OutOfRange_StopStartupNamingTheOption()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddJobTracking().AddJobTrackingDashboard(o =>
        {
            o.PageSize = 0;
            o.ReadPolicy = " ";
        });
        using var app = builder.Build();

        var act = () => app.Services.GetRequiredService<IOptions<JobTrackingDashboardOptions>>().Value;

        act.Should().Throw<OptionsValidationException>()
            .WithMessage("*JobTrackingDashboardOptions.PageSize is 0*").And.Message.Should().Contain("ReadPolicy is blank");
    }
}
