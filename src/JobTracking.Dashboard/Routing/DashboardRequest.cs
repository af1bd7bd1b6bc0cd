using JobTracking.Dashboard.Pages;
using JobTracking.Dashboard.Queries;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Dashboard.Routing;

/// <summary>One request to the dashboard: who asks (may they act?), where the dashboard is mapped, and the services it reads.</summary>
internal sealed class DashboardRequest
{
    private string? _antiforgeryToken;

    public DashboardRequest(HttpContext http, JobTrackingDashboardOptions options, string basePath, bool canAct)
    {
        Http = http;
        Options = options;
        Base = basePath;
        CanAct = canAct;
        Tracker = http.RequestServices.GetRequiredService<IJobTracker>();
        Clock = http.RequestServices.GetRequiredService<TimeProvider>();
        FeedPosition = ReadFeedPosition(http.RequestServices);
        T = DashboardText.For(http);
    }

    /// <summary>Gets the page's words in the reader's language (the request's culture, as the host's <c>UseRequestLocalization</c> sets it).</summary>
    public DashboardText T { get; }

    /// <summary>Gets the change feed's last sequence number, read before anything the page shows, so the page's live stream can start right after it and miss no change made while the page was built; <see langword="null"/> when the store cannot say at once.</summary>
    public long? FeedPosition { get; }

    public HttpContext Http { get; }

    private static long? ReadFeedPosition(IServiceProvider services)
    {
        if (services.GetService<JobTracking.Storage.IJobFeedStore>() is not { } feed)
        {
            return null;
        }

        var read = feed.ReadFeedAsync(0, Memory<JobTracking.Storage.JobChange>.Empty);
        return read.IsCompletedSuccessfully ? read.Result.LatestSequence : null;
    }

    public JobTrackingDashboardOptions Options { get; }

    /// <summary>Gets the dashboard's path as the browser sees it (path base included), without a trailing slash.</summary>
    public string Base { get; }

    /// <summary>Gets whether the user may act: buttons, parameters, checkpoints and stack traces are for those only.</summary>
    public bool CanAct { get; }

    /// <summary>Gets whether this user sees errors' types and messages: one who may act, or any reader when the host opts in.</summary>
    public bool ShowsErrors => CanAct || Options.ShowErrorsToReaders;

    public IJobTracker Tracker { get; }

    public IJobRunner Runner => Http.RequestServices.GetRequiredService<IJobRunner>();

    public TimeProvider Clock { get; }

    public CancellationToken Aborted => Http.RequestAborted;

    /// <summary>Gets the antiforgery token that the forms of this page carry (and sets its cookie).</summary>
    public string AntiforgeryToken => _antiforgeryToken ??=
        Http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(Http).RequestToken
        ?? throw new InvalidOperationException("Antiforgery returned no request token.");

    public TrackerFilter Filter() => TrackerFilter.FromQuery(Http.Request.Query, Options.PageSize);

    /// <summary>Lists a page of jobs; a page token the store cannot read is the caller's mistake, answered with 400.</summary>
    public async ValueTask<JobPage> ListAsync(JobQuery query)
    {
        try
        {
            return await Tracker.ListAsync(query, Aborted).ConfigureAwait(false);
        }
        catch (ArgumentException exception) when (exception is not ArgumentNullException)
        {
            throw new DashboardInputException(new LocalText("Input.After", exception.Message));
        }
    }

    public JournalQuery JournalQuery(bool withLevel)
    {
        var query = Http.Request.Query;
        var size = 100;
        if (query["size"].ToString() is { Length: > 0 } sizeText
            && (!int.TryParse(sizeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size)
                || size is < 1 or > JobTrackingDashboardOptions.MaxPageSize))
        {
            throw new DashboardInputException(new LocalText("Input.Size", TrackerFilter.Shorten(sizeText), JobTrackingDashboardOptions.MaxPageSize));
        }

        var level = Microsoft.Extensions.Logging.LogLevel.Trace;
        if (withLevel && query["level"].ToString() is { Length: > 0 } levelText
            && (!Enum.TryParse(levelText, ignoreCase: true, out level) || !char.IsLetter(levelText[0]) || level == Microsoft.Extensions.Logging.LogLevel.None))
        {
            throw new DashboardInputException(new LocalText("Input.Level", TrackerFilter.Shorten(levelText)));
        }

        var after = query["after"].ToString();
        var journal = new JournalQuery { PageSize = size, MinimumLevel = level, PageToken = after.Length == 0 ? null : after };
        try
        {
            journal.Validate();
        }
        catch (ArgumentException exception)
        {
            throw new DashboardInputException(new LocalText("Input.After", exception.Message));
        }

        return journal;
    }
}
