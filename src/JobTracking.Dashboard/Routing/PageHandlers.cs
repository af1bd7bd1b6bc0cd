using System.Globalization;
using System.Text;
using JobTracking.Dashboard.Assets;
using JobTracking.Dashboard.Commands;
using JobTracking.Dashboard.Pages;
using JobTracking.Dashboard.Queries;
using JobTracking.Dashboard.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobTracking.Dashboard.Routing;

/// <summary>The HTML side: tracker, job page and its tabs, CSV download, commands from forms, bulk commands, the "last operations" fragment and the assets.</summary>
internal static class PageHandlers
{
    public static async Task TrackerAsync(DashboardRequest request)
    {
        var filter = request.Filter();
        var page = await request.ListAsync(filter.ToQuery()).ConfigureAwait(false);
        var counts = await request.Tracker.CountAsync(request.Aborted).ConfigureAwait(false);
        await Responses.HtmlAsync(request.Http, TrackerPage.Render(request, filter, page, counts)).ConfigureAwait(false);
    }

    /// <summary>One row of the tracker for a job that appeared while the page was open; 204 when the page's filters leave it out.</summary>
    public static async Task RowAsync(DashboardRequest request)
    {
        var job = await request.Tracker.GetAsync(JobId(request), request.Aborted).ConfigureAwait(false);
        if (!request.Filter().Matches(job))
        {
            SecurityHeaders.Apply(request.Http.Response);
            request.Http.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var html = new Html();
        TrackerPage.Row(html, request, job, request.Clock.GetUtcNow());
        await Responses.HtmlAsync(request.Http, html.ToString()).ConfigureAwait(false);
    }

    public static async Task JobAsync(DashboardRequest request)
    {
        var id = JobId(request);
        var job = await request.Tracker.GetAsync(id, request.Aborted).ConfigureAwait(false);
        var tab = request.Http.Request.Query["tab"].ToString();
        string html;
        switch (tab)
        {
            case "" or "general":
                var done = JobCommands.TryParse(request.Http.Request.Query["done"].ToString(), out var command) ? JobCommands.Done(request.T, command.Value) : null;
                // The history holds the pauses that the running time leaves out; a job that never started has none to read.
                var pauses = job.StartedAt is null ? [] : await request.Tracker.GetHistoryAsync(id, request.Aborted).ConfigureAwait(false);
                html = JobDetailPage.General(request, job, await CountsAsync(request).ConfigureAwait(false), done, pauses);
                break;
            case "log":
                var logQuery = request.JournalQuery(withLevel: true);
                var log = await request.Tracker.GetLogAsync(id, logQuery, request.Aborted).ConfigureAwait(false);
                html = JobDetailPage.Log(request, job, await CountsAsync(request).ConfigureAwait(false), logQuery, log);
                break;
            case "rejects":
                var rejectQuery = request.JournalQuery(withLevel: false);
                var rejects = await request.Tracker.GetRejectsAsync(id, rejectQuery, request.Aborted).ConfigureAwait(false);
                html = JobDetailPage.Rejects(request, job, await CountsAsync(request).ConfigureAwait(false), rejectQuery, rejects);
                break;
            case "history":
                var history = await request.Tracker.GetHistoryAsync(id, request.Aborted).ConfigureAwait(false);
                html = JobDetailPage.History(request, job, await CountsAsync(request).ConfigureAwait(false), history);
                break;
            default:
                throw new DashboardInputException(new LocalText("Input.Tab", TrackerFilter.Shorten(tab)));
        }

        await Responses.HtmlAsync(request.Http, html).ConfigureAwait(false);
    }

    /// <summary>All of a job's rejects as CSV, written by the tracker's export, which neutralises cells a spreadsheet would run as formulas.</summary>
    public static async Task RejectsCsvAsync(DashboardRequest request)
    {
        var id = JobId(request);
        await request.Tracker.GetAsync(id, request.Aborted).ConfigureAwait(false);
        var response = request.Http.Response;
        SecurityHeaders.Apply(response);
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.ContentDisposition = $"attachment; filename=\"rejects-{id}.csv\"";
        await using var writer = new StreamWriter(response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true);
        await request.Tracker.ExportRejectsCsvAsync(id, writer, request.Aborted).ConfigureAwait(false);
        await writer.FlushAsync(request.Aborted).ConfigureAwait(false);
    }

    /// <summary>A job's log as CSV, from the lowest level asked for (<c>level</c>, as on the Log tab), with formula-like cells neutralised.</summary>
    public static async Task LogCsvAsync(DashboardRequest request)
    {
        var id = JobId(request);
        var level = request.JournalQuery(withLevel: true).MinimumLevel;
        await request.Tracker.GetAsync(id, request.Aborted).ConfigureAwait(false);
        var response = request.Http.Response;
        SecurityHeaders.Apply(response);
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.ContentDisposition = $"attachment; filename=\"log-{id}.csv\"";
        await using var writer = new StreamWriter(response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true);
        await writer.WriteAsync(LogCsv.Header.AsMemory(), request.Aborted).ConfigureAwait(false);
        var query = new JournalQuery { PageSize = 1000, MinimumLevel = level };
        while (true)
        {
            var page = await request.Tracker.GetLogAsync(id, query, request.Aborted).ConfigureAwait(false);
            foreach (var line in page.Items)
            {
                await writer.WriteAsync(LogCsv.Record(line).AsMemory(), request.Aborted).ConfigureAwait(false);
            }

            if (page.NextPageToken is null)
            {
                break;
            }

            query = query with { PageToken = page.NextPageToken };
        }

        await writer.FlushAsync(request.Aborted).ConfigureAwait(false);
    }

    public static async Task CommandAsync(DashboardRequest request)
    {
        var id = JobId(request);
        var command = Command(request);
        var form = await request.Http.Request.ReadFormAsync(request.Aborted).ConfigureAwait(false);
        var job = await request.Tracker.GetAsync(id, request.Aborted).ConfigureAwait(false);
        if (!string.Equals(form["confirmed"].ToString(), "yes", StringComparison.Ordinal))
        {
            var page = ConfirmPage.Render(request, await CountsAsync(request).ConfigureAwait(false), JobCommands.Button(request.T, command),
                JobCommands.Question(request.T, command, job.DisplayName), form, request.Base + "/" + id);
            await Responses.HtmlAsync(request.Http, page).ConfigureAwait(false);
            return;
        }

        await RunAsync(request, id, command).ConfigureAwait(false);
        SecurityHeaders.Apply(request.Http.Response);
        request.Http.Response.StatusCode = StatusCodes.Status303SeeOther;
        request.Http.Response.Headers.Location = $"{request.Base}/{id}?done={JobCommands.Name(command)}";
    }

    public static async Task BulkAsync(DashboardRequest request)
    {
        var form = await request.Http.Request.ReadFormAsync(request.Aborted).ConfigureAwait(false);
        var choice = form["command"].ToString();
        var (command, all) = choice switch
        {
            "cancel-selected" => (DashboardCommand.Cancel, false),
            "restart-selected" => (DashboardCommand.Restart, false),
            "cancel-all" => (DashboardCommand.Cancel, true),
            "restart-all" => (DashboardCommand.Restart, true),
            _ => throw new DashboardInputException(new LocalText("Input.BulkCommand", TrackerFilter.Shorten(choice))),
        };
        var filter = TrackerFilter.FromForm(form, request.Options.PageSize);
        var ids = all ? null : ParseIds(form["id"]);
        var back = request.Base + filter.ToQueryString(withPageSize: false);
        if (!string.Equals(form["confirmed"].ToString(), "yes", StringComparison.Ordinal))
        {
            var question = all
                ? await AllMatchingQuestionAsync(request, command, filter).ConfigureAwait(false)
                : request.T.Plural("Bulk.AskSelected." + command, ids!.Count);
            var page = ConfirmPage.Render(request, await CountsAsync(request).ConfigureAwait(false), BulkResultPage.Title(request.T, command), question, form, back);
            await Responses.HtmlAsync(request.Http, page).ConfigureAwait(false);
            return;
        }

        var result = await RunBulkAsync(request, command, ids, filter).ConfigureAwait(false);
        var key = request.Http.RequestServices.GetRequiredService<BulkResults>().Add(BulkResultPage.Content(request, result, back), UserName(request));
        SecurityHeaders.Apply(request.Http.Response);
        request.Http.Response.StatusCode = StatusCodes.Status303SeeOther;
        request.Http.Response.Headers.Location = $"{request.Base}/bulk/{key}";
    }

    /// <summary>The result of a bulk command, read after its redirect: a reload reads it again and never runs the command again.</summary>
    public static async Task BulkResultAsync(DashboardRequest request)
    {
        var key = request.Http.Request.RouteValues["key"] as string ?? "";
        var counts = await CountsAsync(request).ConfigureAwait(false);
        if (request.Http.RequestServices.GetRequiredService<BulkResults>().Find(key, UserName(request)) is { } content)
        {
            await Responses.HtmlAsync(request.Http, BulkResultPage.Render(request, counts, content)).ConfigureAwait(false);
            return;
        }

        await Responses.HtmlAsync(request.Http, BulkResultPage.Gone(request, counts), StatusCodes.Status404NotFound).ConfigureAwait(false);
    }

    // Says how many of the jobs matching the filters the command would change (counted over at most MaxBulkJobs of them),
    // so nobody cancels ten thousand jobs by surprise.
    private static async Task<string> AllMatchingQuestionAsync(DashboardRequest request, DashboardCommand command, TrackerFilter filter)
    {
        var max = request.Options.MaxBulkJobs;
        var matching = 0;
        var applicable = 0;
        var query = filter.ToQuery(pageToken: null, pageSize: JobQuery.MaxPageSize) with { PageToken = null };
        while (matching < max)
        {
            var page = await request.Tracker.ListAsync(query, request.Aborted).ConfigureAwait(false);
            foreach (var job in page.Items)
            {
                if (matching == max)
                {
                    break;
                }

                matching++;
                applicable += JobCommands.Allows(job.Status, command) ? 1 : 0;
            }

            if (page.NextPageToken is null)
            {
                break;
            }

            query = query with { PageToken = page.NextPageToken };
        }

        var text = request.T;
        var scope = matching == max ? "Max" : matching == 1 ? "One" : "Other";
        if (applicable == 0)
        {
            return text.Format($"Bulk.AskNone.{command}.{scope}", text.Number(matching));
        }

        var others = matching - applicable;
        var question = text.Format($"Bulk.Ask.{command}.{scope}", text.Number(applicable), text.Number(matching));
        return others == 0 ? question : question + " " + text.Plural("Bulk.AskOthers." + command, others);
    }

    public static async Task LastOperationsAsync(DashboardRequest request)
    {
        var jobs = await LastOperationsQueryAsync(request).ConfigureAwait(false);
        await Responses.HtmlAsync(request.Http, LastOperationsFragment.Render(request, jobs)).ConfigureAwait(false);
    }

    public static Task AssetAsync(DashboardRequest request)
    {
        var response = request.Http.Response;
        var asset = DashboardAssets.Find(request.Http.Request.RouteValues["name"] as string ?? "");
        if (asset is null)
        {
            return Responses.ErrorAsync(request.Http, StatusCodes.Status404NotFound, new LocalText("Error.NoAsset"));
        }

        SecurityHeaders.Apply(response, cacheable: true);
        response.Headers.CacheControl = "private, max-age=31536000, immutable";
        response.Headers.ETag = asset.ETag;
        if (string.Equals(request.Http.Request.Headers.IfNoneMatch.ToString(), asset.ETag, StringComparison.Ordinal))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        return response.Body.WriteAsync(asset.Content, request.Aborted).AsTask();
    }

    internal static async Task RunAsync(DashboardRequest request, Guid id, DashboardCommand command)
    {
        await JobCommands.RunAsync(request.Runner, id, command, Actor(request), request.Aborted).ConfigureAwait(false);
        var logger = Logger(request);
        if (logger.IsEnabled(LogLevel.Information))
        {
            var user = UserName(request);
            var name = JobCommands.Name(command);
            Log.CommandIssued(logger, user, name, id);
        }
    }

    internal static async Task<BulkResult> RunBulkAsync(DashboardRequest request, DashboardCommand command, IReadOnlyList<Guid>? ids, TrackerFilter filter)
    {
        var max = request.Options.MaxBulkJobs;
        if (ids is not null && ids.Count > max && ids.Distinct().Count() is var distinct && distinct > max)
        {
            throw new DashboardInputException(new LocalText("Input.TooManyIds", distinct, max));
        }

        var result = await BulkCommand.RunAsync(request.Tracker, request.Runner, command, ids, filter, request.Options.MaxBulkJobs, Actor(request), request.Aborted).ConfigureAwait(false);
        var logger = Logger(request);
        if (logger.IsEnabled(LogLevel.Information))
        {
            var user = UserName(request);
            var name = JobCommands.Name(command);
            var summary = result.Summary();
            Log.BulkIssued(logger, user, name, result.Requested, summary);
        }
        return result;
    }

    internal static async Task<IReadOnlyList<JobRecord>> LastOperationsQueryAsync(DashboardRequest request)
    {
        var query = request.Http.Request.Query;
        var count = 10;
        if (query["count"].ToString() is { Length: > 0 } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > 100))
        {
            throw new DashboardInputException(new LocalText("Input.Count", TrackerFilter.Shorten(text)));
        }

        var user = query["user"].ToString();
        return await request.Tracker.LastOperationsAsync(count, user.Length == 0 ? null : user, request.Aborted).ConfigureAwait(false);
    }

    internal static Guid JobId(DashboardRequest request) =>
        Guid.TryParse(request.Http.Request.RouteValues["id"] as string, out var id)
            ? id
            : throw new DashboardInputException(new LocalText("Input.JobId", request.Http.Request.RouteValues["id"]));

    internal static DashboardCommand Command(DashboardRequest request)
    {
        var text = request.Http.Request.RouteValues["command"] as string;
        return JobCommands.TryParse(text, out var command)
            ? command.Value
            : throw new DashboardInputException(new LocalText("Input.Command", TrackerFilter.Shorten(text ?? "")));
    }

    internal static List<Guid> ParseIds(IEnumerable<string?> values)
    {
        var ids = new List<Guid>();
        foreach (var value in values)
        {
            if (!Guid.TryParse(value, out var id))
            {
                throw new DashboardInputException(new LocalText("Input.Id", TrackerFilter.Shorten(value ?? "")));
            }

            ids.Add(id);
        }

        return ids;
    }

    private static ValueTask<IReadOnlyList<JobCount>> CountsAsync(DashboardRequest request) => request.Tracker.CountAsync(request.Aborted);

    private static ILogger Logger(DashboardRequest request) =>
        (request.Http.RequestServices.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("JobTracking.Dashboard");

    private static string UserName(DashboardRequest request) =>
        request.Http.User.Identity?.Name ?? $"anonymous ({request.Http.Connection.RemoteIpAddress})";

    // The user kept in the job's history, named as the audit log line names them: a name the runner would refuse (blank, or
    // longer than it keeps) is replaced or shortened, so a command is never refused for its user's name.
    private static JobCommandOptions Actor(DashboardRequest request)
    {
        var name = UserName(request);
        if (string.IsNullOrWhiteSpace(name))
        {
            name = $"anonymous ({request.Http.Connection.RemoteIpAddress})";
        }

        return new JobCommandOptions { Actor = name.Length <= JobStartOptions.MaxTextLength ? name : string.Concat(name.AsSpan(0, JobStartOptions.MaxTextLength - 1), "…") };
    }
}
