using JobTracking.WebSample;

// The web sample: http://127.0.0.1:5080 starts the jobs, http://127.0.0.1:5080/jobs follows them.
// Jobs are kept in jobs-web.db (SQLite) in the working folder; --in-memory keeps nothing. --url picks another
// loopback address or port.
var settings = new WebSampleSettings();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--in-memory":
            settings.Database = null;
            break;
        case "--url" when i + 1 < args.Length:
            settings.Url = args[++i];
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Use --in-memory and --url http://127.0.0.1:PORT.");
            return 2;
    }
}

var app = WebSampleApp.Build(settings);
await app.StartAsync();
Console.WriteLine($"Start jobs at {string.Join(", ", app.Urls)} and follow them at {app.Urls.First()}/jobs (Ctrl+C stops).");
await app.WaitForShutdownAsync();
return 0;
