using JobTracking.Dashboard.Pages;
using JobTracking.Dashboard.Queries;
using JobTracking.Dashboard.Security;
using JobTracking.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Dashboard.Routing;

/// <summary>The schedules page and its commands (pause, resume, trigger, delete) through <see cref="IJobSchedules"/>.</summary>
internal static class ScheduleHandlers
{
    private static readonly string[] Commands = ["pause", "resume", "trigger", "delete"];

    public static async Task PageAsync(DashboardRequest request)
    {
        var done = request.Http.Request.Query["done"].ToString();
        IReadOnlyList<JobScheduleInfo>? schedules = null;
        if (KeepsSchedules(request))
        {
            schedules = await Schedules(request).ListAsync(request.Aborted).ConfigureAwait(false);
        }

        var counts = await request.Tracker.CountAsync(request.Aborted).ConfigureAwait(false);
        var page = SchedulesPage.Render(request, counts, schedules, Array.IndexOf(Commands, done) >= 0 ? SchedulesPage.Done(request.T, done) : null);
        await Responses.HtmlAsync(request.Http, page).ConfigureAwait(false);
    }

    public static async Task CommandAsync(DashboardRequest request)
    {
        var command = request.Http.Request.RouteValues["command"]?.ToString() ?? "";
        if (Array.IndexOf(Commands, command) < 0)
        {
            throw new DashboardInputException(new LocalText("Input.ScheduleCommand", TrackerFilter.Shorten(command)));
        }

        var form = await request.Http.Request.ReadFormAsync(request.Aborted).ConfigureAwait(false);
        var id = form["id"].ToString();
        if (id.Length is 0 or > JobScheduleRecord.MaxIdLength)
        {
            throw new DashboardInputException(new LocalText("Input.ScheduleId", JobScheduleRecord.MaxIdLength));
        }

        if (!string.Equals(form["confirmed"].ToString(), "yes", StringComparison.Ordinal))
        {
            var counts = await request.Tracker.CountAsync(request.Aborted).ConfigureAwait(false);
            var confirm = ConfirmPage.Render(request, counts, SchedulesPage.Button(request.T, command), SchedulesPage.Question(request.T, command, id), form, request.Base + "/schedules");
            await Responses.HtmlAsync(request.Http, confirm).ConfigureAwait(false);
            return;
        }

        var schedules = Schedules(request);
        switch (command)
        {
            case "pause":
                await schedules.PauseAsync(id, request.Aborted).ConfigureAwait(false);
                break;
            case "resume":
                await schedules.ResumeAsync(id, request.Aborted).ConfigureAwait(false);
                break;
            case "trigger":
                await schedules.TriggerAsync(id, request.Aborted).ConfigureAwait(false);
                break;
            default:
                await schedules.DeleteAsync(id, request.Aborted).ConfigureAwait(false);
                break;
        }

        SecurityHeaders.Apply(request.Http.Response);
        request.Http.Response.StatusCode = StatusCodes.Status303SeeOther;
        request.Http.Response.Headers.Location = $"{request.Base}/schedules?done={command}";
    }

    private static bool KeepsSchedules(DashboardRequest request) => request.Http.RequestServices.GetRequiredService<IJobStore>() is IJobScheduleStore;

    private static IJobSchedules Schedules(DashboardRequest request) => request.Http.RequestServices.GetRequiredService<IJobSchedules>();
}
