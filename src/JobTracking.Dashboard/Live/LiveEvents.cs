using System.Text;
using System.Text.Json;
using JobTracking.Dashboard.Api;
using JobTracking.Dashboard.Routing;
using JobTracking.Dashboard.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobTracking.Dashboard.Live;

/// <summary>
/// The live stream (Server-Sent Events): every status change and progress report, as <c>event: job</c> with a JSON
/// body, optionally for one job (<c>?job=id</c>), and a comment every <see cref="Heartbeat"/> so proxies keep the
/// connection open and a closed one is noticed.
/// </summary>
internal static class LiveEvents
{
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The most changes one stream replays after a reconnect: a reader further behind gets <c>event: reload</c> and the
    /// stream ends, and the page reloads itself (one request for the current page instead of every change since).
    /// </summary>
    public const int MaxReplay = 2_000;

    public static async Task StreamAsync(DashboardRequest request)
    {
        var http = request.Http;
        Guid? jobId = null;
        var jobText = http.Request.Query["job"].ToString();
        if (jobText.Length > 0)
        {
            jobId = Guid.TryParse(jobText, out var id)
                ? id
                : throw new Queries.DashboardInputException(new Pages.LocalText("Input.JobParameter", Queries.TrackerFilter.Shorten(jobText)));
        }

        var after = LiveEventCursor.Read(http.Request);
        var options = LiveEventCursor.ResumeAfter(new JobSubscriptionOptions { JobId = jobId }, after);
        var events = http.RequestServices.GetRequiredService<IJobEvents>();
        var tooFarBehind = after is { } position && await LatestAsync(http).ConfigureAwait(false) - position > MaxReplay;

        SecurityHeaders.Apply(http.Response);
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var aborted = http.RequestAborted;
        // The stream also ends when the host stops, so that an open page never holds up a shutdown.
        var stopping = http.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
        var reader = events.ReadAllAsync(options, stop.Token).GetAsyncEnumerator(stop.Token);
        Task<bool>? next = null;
        try
        {
            // The first read subscribes (it runs up to its first wait), so every change after the first bytes is sent;
            // those bytes tell the browser the stream is open, and how long to wait before reconnecting.
            if (tooFarBehind)
            {
                await WriteAsync(http, "retry: 2000\nevent: reload\ndata: {}\n\n", aborted).ConfigureAwait(false);
                return;
            }

            next = reader.MoveNextAsync().AsTask();
            await WriteAsync(http, "retry: 2000\n: open\n\n", aborted).ConfigureAwait(false);
            Task? beat = null;
            while (true)
            {
                beat ??= Task.Delay(Heartbeat, request.Clock, stop.Token);
                if (await Task.WhenAny(next, beat).ConfigureAwait(false) == beat)
                {
                    await beat.ConfigureAwait(false);
                    beat = null;
                    await WriteAsync(http, ": heartbeat\n\n", aborted).ConfigureAwait(false);
                    continue;
                }

                if (!await next.ConfigureAwait(false) || stopping.IsCancellationRequested)
                {
                    return;
                }

                await WriteAsync(http, Frame(reader.Current, request.ShowsErrors), aborted).ConfigureAwait(false);
                next = reader.MoveNextAsync().AsTask();
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested || stopping.IsCancellationRequested)
        {
            // The browser went away, or the host is stopping.
        }
        finally
        {
            // The enumerator may be disposed only once its pending read has ended (the abort ends it).
            await stop.CancelAsync().ConfigureAwait(false);
            if (next is not null)
            {
                await Task.WhenAny(next).ConfigureAwait(false);
            }

            await reader.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async ValueTask<long> LatestAsync(HttpContext http)
    {
        var feed = http.RequestServices.GetRequiredService<JobTracking.Storage.IJobFeedStore>();
        var read = await feed.ReadFeedAsync(0, Memory<JobTracking.Storage.JobChange>.Empty, http.RequestAborted).ConfigureAwait(false);
        return read.LatestSequence;
    }

    internal static string Frame(JobEvent jobEvent, bool showsErrors)
    {
        var frame = new StringBuilder(512);
        if (LiveEventCursor.IdOf(jobEvent) is { } id)
        {
            frame.Append("id: ").Append(id).Append('\n');
        }

        frame.Append("event: job\ndata: ").Append(JsonSerializer.Serialize(LiveEventView.From(jobEvent, showsErrors), DashboardJson.Options)).Append("\n\n");
        return frame.ToString();
    }

    private static async Task WriteAsync(HttpContext http, string text, CancellationToken cancellationToken)
    {
        await http.Response.WriteAsync(text, cancellationToken).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
