using JobTracking.WebSample;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Dashboard.Tests.Browser;

/// <summary>The web sample on Kestrel at 127.0.0.1 (a free port), with its SQLite store and catalog in a temporary folder.</summary>
internal sealed class WebSampleServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _folder;

    private WebSampleServer(WebApplication app, string folder, string address)
    {
        _app = app;
        _folder = folder;
        Address = address;
    }

    public string Address { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<WebSampleServer> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("jobtracking-websample-").FullName;
        var app = WebSampleApp.Build(new WebSampleSettings
        {
            Url = "http://127.0.0.1:0",
            Database = Path.Combine(folder, "jobs.db"),
            WorkFolder = folder,
            DataFolder = Path.Combine(AppContext.BaseDirectory, "data"),
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new WebSampleServer(app, folder, address);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
