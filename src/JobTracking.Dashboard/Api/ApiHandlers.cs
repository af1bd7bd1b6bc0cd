using System.Text.Json;
using JobTracking.Dashboard.Commands;
using JobTracking.Dashboard.Pages;
using JobTracking.Dashboard.Queries;
using JobTracking.Dashboard.Routing;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobTracking.Dashboard.Api;

/// <summary>The JSON API beside the pages: the same parameters, paging and authorization.</summary>
internal static class ApiHandlers
{
    public static async Task ListAsync(DashboardRequest request)
    {
        var page = await request.ListAsync(request.Filter().ToQuery()).ConfigureAwait(false);
        await Responses.JsonAsync(request.Http, new JobListView([.. page.Items.Select(JobSummaryView.From)], page.NextPageToken)).ConfigureAwait(false);
    }

    public static async Task JobAsync(DashboardRequest request)
    {
        var job = await request.Tracker.GetAsync(PageHandlers.JobId(request), request.Aborted).ConfigureAwait(false);
        await Responses.JsonAsync(request.Http, JobDetailView.From(job, request.CanAct, request.ShowsErrors)).ConfigureAwait(false);
    }

    public static async Task LogAsync(DashboardRequest request)
    {
        var page = await request.Tracker.GetLogAsync(PageHandlers.JobId(request), request.JournalQuery(withLevel: true), request.Aborted).ConfigureAwait(false);
        await Responses.JsonAsync(request.Http, new LogPageView([.. page.Items.Select(l => new LogLineView(l.Sequence, l.At, l.Level, l.Message))], page.NextPageToken))
            .ConfigureAwait(false);
    }

    public static async Task RejectsAsync(DashboardRequest request)
    {
        var page = await request.Tracker.GetRejectsAsync(PageHandlers.JobId(request), request.JournalQuery(withLevel: false), request.Aborted).ConfigureAwait(false);
        await Responses.JsonAsync(request.Http, new RejectPageView(
            [.. page.Items.Select(r => new RejectView(r.Sequence, r.At, r.RecordNumber, r.RawRecord, r.Reason))], page.NextPageToken)).ConfigureAwait(false);
    }

    public static async Task HistoryAsync(DashboardRequest request)
    {
        var history = await request.Tracker.GetHistoryAsync(PageHandlers.JobId(request), request.Aborted).ConfigureAwait(false);
        await Responses.JsonAsync(request.Http, history.Select(e => HistoryEntryView.From(e, request.CanAct, request.ShowsErrors)).ToList()).ConfigureAwait(false);
    }

    public static async Task CountsAsync(DashboardRequest request)
    {
        var counts = await request.Tracker.CountAsync(request.Aborted).ConfigureAwait(false);
        var statuses = Enum.GetValues<JobStatus>()
            .Select(s => new StatusCountView(s, StatusLabels.Label(s), counts.Where(c => c.Status == s).Sum(c => c.Count)))
            .ToList();
        await Responses.JsonAsync(request.Http, new CountsView(statuses, counts)).ConfigureAwait(false);
    }

    public static async Task LastOperationsAsync(DashboardRequest request)
    {
        var jobs = await PageHandlers.LastOperationsQueryAsync(request).ConfigureAwait(false);
        await Responses.JsonAsync(request.Http, jobs.Select(JobSummaryView.From).ToList()).ConfigureAwait(false);
    }

    public static Task AntiforgeryAsync(DashboardRequest request)
    {
        var options = request.Http.RequestServices.GetRequiredService<IOptions<AntiforgeryOptions>>().Value;
        return Responses.JsonAsync(request.Http, new AntiforgeryView(options.HeaderName ?? "RequestVerificationToken", request.AntiforgeryToken));
    }

    public static async Task CommandAsync(DashboardRequest request)
    {
        var id = PageHandlers.JobId(request);
        var command = PageHandlers.Command(request);
        await PageHandlers.RunAsync(request, id, command).ConfigureAwait(false);
        var job = await request.Tracker.GetAsync(id, request.Aborted).ConfigureAwait(false);
        await Responses.JsonAsync(request.Http, new CommandResultView(id, JobCommands.Name(command), job.Status, StatusLabels.Label(job.Status, job.WarningCount)))
            .ConfigureAwait(false);
    }

    public static async Task BulkAsync(DashboardRequest request)
    {
        BulkRequestView? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<BulkRequestView>(request.Http.Request.Body, DashboardJson.Options, request.Aborted).ConfigureAwait(false);
        }
        catch (JsonException exception)
        {
            throw new DashboardInputException($"The body is not a bulk command: {exception.Message}");
        }

        if (body is null)
        {
            throw new DashboardInputException("The body is empty; send {\"command\": \"cancel\", \"ids\": [...]} or {\"command\": \"cancel\", \"filter\": {...}}.");
        }

        if (!JobCommands.TryParse(body.Command, out var command) || command is not (DashboardCommand.Cancel or DashboardCommand.Restart))
        {
            throw new DashboardInputException($"command: '{TrackerFilter.Shorten(body.Command ?? "")}' is not a bulk command; use cancel or restart.");
        }

        if ((body.Ids is null) == (body.Filter is null))
        {
            throw new DashboardInputException("Give either ids (the jobs to change) or filter (every job that matches), not both and not neither.");
        }

        var filter = body.Filter is { } f
            ? TrackerFilter.Parse(
                name => name switch
                {
                    "status" => f.Status ?? [],
                    "type" => f.Type is null ? [] : [f.Type],
                    "user" => f.User is null ? [] : [f.User],
                    "node" => f.Node is null ? [] : [f.Node],
                    "from" => f.From is null ? [] : [f.From],
                    "to" => f.To is null ? [] : [f.To],
                    "q" => f.Q is null ? [] : [f.Q],
                    _ => [],
                },
                request.Options.PageSize)
            : TrackerFilter.Parse(_ => [], request.Options.PageSize);
        var result = await PageHandlers.RunBulkAsync(request, command.Value, body.Ids, filter).ConfigureAwait(false);
        await Responses.JsonAsync(request.Http, BulkResultView.From(result)).ConfigureAwait(false);
    }
}
