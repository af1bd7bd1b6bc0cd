using System.Text.Encodings.Web;
using JobTracking.Dashboard;
using JobTracking.WebSample.Catalog;
using JobTracking.WebSample.Jobs;
using Microsoft.AspNetCore.Antiforgery;

namespace JobTracking.WebSample;

/// <summary>What the web sample is started with: where it listens, where it keeps jobs, where it writes.</summary>
public sealed class WebSampleSettings
{
    /// <summary>Where Kestrel listens; loopback only. Port 0 picks a free port.</summary>
    public string Url { get; set; } = "http://127.0.0.1:5080";

    /// <summary>The SQLite file that keeps the jobs, or <see langword="null"/> to keep them in memory.</summary>
    public string? Database { get; set; } = "jobs-web.db";

    /// <summary>Where the catalog (catalog.json) and the exports are written.</summary>
    public string WorkFolder { get; set; } = "sample-output";

    /// <summary>The shipped data (products.csv, rules.csv).</summary>
    public string DataFolder { get; set; } = Path.Combine(AppContext.BaseDirectory, "data");
}

/// <summary>
/// The web sample: the five kinds of job people follow in a product catalog (import, export, mass edit, rules,
/// completeness), a home page that starts them, and the dashboard at /jobs.
/// </summary>
public static class WebSampleApp
{
    public static WebApplication Build(WebSampleSettings settings, string[]? args = null)
    {
        var uri = new Uri(settings.Url);
        if (!System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) || !System.Net.IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"The sample listens on loopback addresses only (127.0.0.1 or [::1]), not '{uri.Host}'.", nameof(settings));
        }

        var builder = WebApplication.CreateBuilder(args ?? []);
        builder.WebHost.UseUrls(settings.Url);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        var folders = new SampleFolders(Path.GetFullPath(settings.DataFolder), Path.GetFullPath(settings.WorkFolder));
        builder.Services.AddSingleton(folders);
        builder.Services.AddSingleton(new ProductCatalog(Path.Combine(folders.WorkFolder, "catalog.json")));
        builder.Services.AddJobTracking(jobs =>
        {
            jobs.AddJob<ProductImportJob>()
                .AddJob<ProductExportJob>()
                .AddJob<MassEditJob>()
                .AddJob<RuleExecutionJob>()
                .AddJob<CompletenessJob>()
                .Configure(o =>
                {
                    o.MaxConcurrency = 4;
                    o.NodeName = "web-sample";
                    o.ShutdownGracePeriod = TimeSpan.FromSeconds(3);
                });
            if (settings.Database is { } database)
            {
                jobs.UseSqlite($"Data Source={Path.GetFullPath(database)}");
            }
        });

        // No policy: the dashboard answers local requests only, and they may read and act.
        builder.Services.AddJobTrackingDashboard(o => o.Title = "Catalog jobs");

        var app = builder.Build();
        // The dashboard in each reader's language: English by default, French for a browser that asks for it
        // (Accept-Language), or ?culture=fr, or the culture cookie.
        app.UseRequestLocalization(o => o.SetDefaultCulture("en").AddSupportedCultures("en", "fr").AddSupportedUICultures("en", "fr"));
        app.MapJobTrackingDashboard("/jobs");
        app.MapGet("/", HomeAsync);
        app.MapPost("/start/{kind}", StartAsync);
        return app;
    }

    private static readonly (string Kind, string Label, string What)[] Kinds =
    [
        ("import", "Import products", "reads data/products.csv, rejects the bad rows"),
        ("export", "Export products", "writes the catalog to a CSV file"),
        ("mass-edit", "Raise prices by 5 %", "a mass edit over every imported product"),
        ("rules", "Run the rules", "sets category, badge and restock by data/rules.csv"),
        ("completeness", "Calculate completeness", "a score per product, warnings under 70 %"),
    ];

    private static async Task HomeAsync(HttpContext context, IAntiforgery antiforgery, IJobTracker tracker)
    {
        var token = antiforgery.GetAndStoreTokens(context).RequestToken!;
        var encode = HtmlEncoder.Default;
        var last = await tracker.LastOperationsAsync(5, cancellationToken: context.RequestAborted);
        var html = new System.Text.StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Catalog jobs</title></head><body>");
        html.Append("<h1>Catalog jobs</h1><p><a href=\"/jobs\">Open the process tracker</a></p><h2>Start a job</h2><ul>");
        foreach (var (kind, label, what) in Kinds)
        {
            html.Append($"<li><form method=\"post\" action=\"/start/{kind}\"><input type=\"hidden\" name=\"__RequestVerificationToken\" value=\"{encode.Encode(token)}\">")
                .Append($"<button type=\"submit\" id=\"start-{kind}\">{label}</button> {what}</form></li>");
        }

        html.Append("</ul><h2>Last operations</h2><ul>");
        foreach (var job in last)
        {
            html.Append($"<li><a href=\"/jobs/{job.Id}\">{encode.Encode(job.DisplayName)}</a>: {job.Status}</li>");
        }

        html.Append("</ul><p>The same list as an HTML fragment for your own pages: <a href=\"/jobs/last-operations\">/jobs/last-operations</a>, as JSON: <a href=\"/jobs/api/last-operations\">/jobs/api/last-operations</a>.</p></body></html>");
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; form-action 'self'; frame-ancestors 'none'";
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(html.ToString(), context.RequestAborted);
    }

    private static async Task<IResult> StartAsync(HttpContext context, string kind, IAntiforgery antiforgery, IJobRunner runner)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Results.BadRequest("The form carries no valid antiforgery token; reload the page and try again.");
        }

        var options = new JobStartOptions { LaunchedBy = "sample user" };
        Guid id;
        switch (kind)
        {
            case "import":
                id = await runner.Job<ProductImportJob>().StartAsync(new ProductImportParameters(), options with { DisplayName = "Import products.csv" });
                break;
            case "export":
                id = await runner.Job<ProductExportJob>().StartAsync(new ProductExportParameters(), options with { DisplayName = "Export all products" });
                break;
            case "mass-edit":
                id = await runner.Job<MassEditJob>().StartAsync(new MassEditParameters { PriceChangePercent = 5 }, options with { DisplayName = "Prices +5 %" });
                break;
            case "rules":
                id = await runner.Job<RuleExecutionJob>().StartAsync(new RuleExecutionParameters(), options with { DisplayName = "Catalog rules" });
                break;
            case "completeness":
                id = await runner.Job<CompletenessJob>().StartAsync(new CompletenessParameters(), options with { DisplayName = "Completeness scores" });
                break;
            default:
                return Results.NotFound($"'{kind}' is not a job of this sample; use import, export, mass-edit, rules or completeness.");
        }

        return Results.Redirect($"/jobs/{id}");
    }
}
