using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobTracking.Dashboard.Tests;

/// <summary>
/// An app with JobTracking (in memory), the test jobs and the dashboard at /jobs, on the framework's test server.
/// Requests say who sends them with headers only the test server reads: <c>X-Test-Remote</c> (the client address,
/// 127.0.0.1 unless given), <c>X-Test-User</c> and <c>X-Test-Role</c> (signed in through a test scheme).
/// </summary>
public sealed class DashboardTestHost : IAsyncDisposable
{
    public const string ReadPolicy = "job-readers";
    public const string ActPolicy = "job-operators";

    private readonly WebApplication _app;

    private DashboardTestHost(WebApplication app)
    {
        _app = app;
        Server = app.GetTestServer();
    }

    public TestServer Server { get; }

    public IServiceProvider Services => _app.Services;

    public IJobRunner Runner => Services.GetRequiredService<IJobRunner>();

    public IJobTracker Tracker => Services.GetRequiredService<IJobTracker>();

    public JobGate Gate => Services.GetRequiredService<JobGate>();

    /// <summary>Starts a host; <paramref name="withPolicies"/> sets the read and act policies and the test sign-in scheme.</summary>
    /// <param name="jobs">Changes the JobTracking set-up further, for example to use another store than the in-memory one.</param>
    /// <param name="localized">Adds <c>UseRequestLocalization</c> with "en" (the default) and "fr", as a host that offers French does.</param>
    public static async Task<DashboardTestHost> StartAsync(
        bool withPolicies = false, Action<JobTrackingDashboardOptions>? configure = null, Action<JobTrackingBuilder>? jobs = null, bool localized = false)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<JobGate>();
        builder.Services.AddJobTracking(b =>
        {
            b.AddJob<GateJob>()
                .AddJob<StepGateJob>()
                .AddJob<JournalJob>()
                .AddJob<FailJob>()
                .AddJob<EchoJob>()
                .Configure(o => o.MaxConcurrency = 8);
            jobs?.Invoke(b);
        });
        builder.Services.AddJobTrackingDashboard(options =>
        {
            if (withPolicies)
            {
                options.ReadPolicy = ReadPolicy;
                options.ActPolicy = ActPolicy;
            }

            configure?.Invoke(options);
        });
        if (withPolicies)
        {
            builder.Services.AddAuthentication(TestAuthentication.Name).AddScheme<AuthenticationSchemeOptions, TestAuthentication>(TestAuthentication.Name, null);
            builder.Services.AddAuthorization(o =>
            {
                o.AddPolicy(ReadPolicy, p => p.RequireRole("reader", "operator"));
                o.AddPolicy(ActPolicy, p => p.RequireRole("operator"));
            });
        }

        var app = builder.Build();
        app.Use((context, next) =>
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(context.Request.Headers["X-Test-Remote"].FirstOrDefault() ?? "127.0.0.1");
            return next(context);
        });
        if (localized)
        {
            app.UseRequestLocalization(o => o.SetDefaultCulture("en").AddSupportedCultures("en", "fr").AddSupportedUICultures("en", "fr"));
        }

        app.MapJobTrackingDashboard("/jobs");
        await app.StartAsync();
        return new DashboardTestHost(app);
    }

    public DashboardClient Client(string? remote = null, string? user = null, string? role = null) => new(Server, remote, user, role);

    public async Task<Guid> StartGateJobAsync(string name = "Gate job", string? user = "alice") =>
        await Runner.Job<GateJob>().StartAsync(new GateParameters(), new JobStartOptions { DisplayName = name, LaunchedBy = user });

    public async Task<JobRecord> WaitForAsync(Guid id, params JobStatus[] statuses)
    {
        using var timeout = new CancellationTokenSource(Wait.DefaultTimeout);
        return await Runner.WaitForStatusAsync(id, statuses, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        Gate.Open();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Signs in whoever names themselves in <c>X-Test-User</c>, with the role in <c>X-Test-Role</c>.</summary>
    private sealed class TestAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string Name = "Test";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var user = Request.Headers["X-Test-User"].FirstOrDefault();
            if (user is null)
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var claims = new List<Claim> { new(ClaimTypes.Name, user) };
            claims.AddRange(Request.Headers["X-Test-Role"].Select(r => new Claim(ClaimTypes.Role, r!)));
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Name)), Name)));
        }
    }
}

/// <summary>An HTTP client of the test server that keeps cookies (the antiforgery cookie) and says who it is.</summary>
public sealed class DashboardClient(TestServer server, string? remote, string? user, string? role)
{
    private readonly HttpClient _http = server.CreateClient();
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

    /// <summary>Gets headers sent with every request (a <c>Host</c> here replaces the server's name).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        foreach (var (name, value) in Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Host = value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (remote is not null)
        {
            request.Headers.Add("X-Test-Remote", remote);
        }

        if (user is not null)
        {
            request.Headers.Add("X-Test-User", user);
        }

        if (role is not null)
        {
            request.Headers.Add("X-Test-Role", role);
        }

        if (_cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
        }

        var response = await _http.SendAsync(request, completion);
        if (response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            foreach (var cookie in cookies)
            {
                var pair = cookie.Split(';')[0].Split('=', 2);
                _cookies[pair[0]] = pair[1];
            }
        }

        return response;
    }

    public Task<HttpResponseMessage> GetAsync(string url) => SendAsync(new HttpRequestMessage(HttpMethod.Get, url));

    public async Task<string> GetStringAsync(string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, $"GET {url} answered {body}");
        return body;
    }

    public async Task<IHtmlDocument> GetPageAsync(string url, HttpStatusCode expected = HttpStatusCode.OK) =>
        new HtmlParser().ParseDocument(await GetStringAsync(url, expected));

    /// <summary>Posts a form; <paramref name="token"/> adds the antiforgery field.</summary>
    public Task<HttpResponseMessage> PostFormAsync(string url, IEnumerable<KeyValuePair<string, string>> fields, string? token, string? fetchSite = "same-origin")
    {
        var all = fields.ToList();
        if (token is not null)
        {
            all.Add(new("__RequestVerificationToken", token));
        }

        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(all) };
        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        return SendAsync(request);
    }

    public Task<HttpResponseMessage> PostJsonAsync(string url, string json, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, MediaTypeHeaderValue.Parse("application/json")) };
        if (token is not null)
        {
            request.Headers.Add("RequestVerificationToken", token);
        }

        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        return SendAsync(request);
    }

    /// <summary>Reads a page and returns the antiforgery token its forms carry (and keeps its cookie).</summary>
    public async Task<string> TokenAsync(string url = "/jobs")
    {
        var page = await GetPageAsync(url);
        var field = page.QuerySelector("input[name=__RequestVerificationToken]") as IHtmlInputElement;
        field.Should().NotBeNull("a page for a user who may act carries an antiforgery token");
        return field!.Value;
    }
}
