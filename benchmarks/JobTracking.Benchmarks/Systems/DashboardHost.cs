using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// An ASP.NET Core app with JobTracking and the dashboard at <c>/jobs</c>, on Kestrel listening on 127.0.0.1 only (a
/// port the system picks), with no read policy: the dashboard's default, local requests only, which the client here
/// is. <see cref="Client"/> talks to it over a real loopback socket, as a browser on the same machine would.
/// </summary>
public sealed class DashboardHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardHost(WebApplication app, Uri address)
    {
        _app = app;
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = address,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Gets a client of the app (cookies kept, as a browser keeps the antiforgery cookie; no proxy).</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public IJobRunner Runner => Services.GetRequiredService<IJobRunner>();

    /// <summary>Starts the app; <paramref name="jobs"/> adds the job types and the store.</summary>
    public static async Task<DashboardHost> StartAsync(Action<JobTrackingBuilder> jobs, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        services?.Invoke(builder.Services);
        builder.Services.AddJobTracking(jobs);
        builder.Services.AddJobTrackingDashboard();
        var app = builder.Build();
        app.MapJobTrackingDashboard("/jobs");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.Single()
            ?? throw new InvalidOperationException("Kestrel did not say where it listens.");
        return new DashboardHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
