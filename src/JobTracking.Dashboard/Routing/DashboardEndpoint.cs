using JobTracking.Dashboard.Pages;
using JobTracking.Dashboard.Queries;
using JobTracking.Dashboard.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobTracking.Dashboard.Routing;

/// <summary>
/// Wraps every dashboard handler: checks the right the endpoint needs (and, for a command, the origin and the
/// antiforgery token) before the handler runs, and turns the errors a user can cause into answers that say what was wrong.
/// </summary>
internal static class DashboardEndpoint
{
    public static RequestDelegate Handle(string pattern, DashboardRight needed, bool api, Func<DashboardRequest, Task> handler) => async context =>
    {
        if (api)
        {
            Responses.MarkApi(context);
        }

        var options = context.RequestServices.GetRequiredService<IOptions<JobTrackingDashboardOptions>>().Value;
        var right = await DashboardAccess.GetRightAsync(context, options).ConfigureAwait(false);
        if (right < needed)
        {
            await DashboardAccess.RefuseAsync(context, options, right == DashboardRight.None ? DashboardRight.Read : needed).ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsPost(context.Request.Method) && await CommandGuard.CheckAsync(context).ConfigureAwait(false) is { } refusal)
        {
            await Responses.ErrorAsync(context, refusal.Status, refusal.Reason).ConfigureAwait(false);
            return;
        }

        var request = new DashboardRequest(context, options, context.Request.PathBase + pattern, right == DashboardRight.Act);
        try
        {
            await handler(request).ConfigureAwait(false);
        }
        // The JSON API answers the exceptions' own (English) messages; a page says the same in the reader's language.
        catch (DashboardInputException exception) when (!context.Response.HasStarted)
        {
            await Error(context, StatusCodes.Status400BadRequest, exception, exception.Text).ConfigureAwait(false);
        }
        catch (JobNotFoundException exception) when (!context.Response.HasStarted)
        {
            await Error(context, StatusCodes.Status404NotFound, exception, new LocalText("Error.JobNotFound", exception.JobId)).ConfigureAwait(false);
        }
        catch (JobScheduleNotFoundException exception) when (!context.Response.HasStarted)
        {
            await Error(context, StatusCodes.Status404NotFound, exception, new LocalText("Error.ScheduleNotFound", exception.ScheduleId)).ConfigureAwait(false);
        }
        catch (InvalidJobTransitionException exception) when (!context.Response.HasStarted)
        {
            await Error(context, StatusCodes.Status409Conflict, exception, new LocalText("Error.Transition", new LocalText("Verb." + exception.Command), exception.JobId, exception.CurrentStatus, exception.Command, new LocalText("Status." + exception.CurrentStatus))).ConfigureAwait(false);
        }
        catch (JobTrackingException exception) when (!context.Response.HasStarted)
        {
            // The store's own words, such as a stored row edited by hand that cannot be read: they name the job to repair.
            await Responses.ErrorAsync(context, StatusCodes.Status500InternalServerError, exception.Message).ConfigureAwait(false);
        }
    };

    private static Task Error(HttpContext context, int status, Exception exception, LocalText? text) =>
        Responses.IsApi(context) || text is null
            ? Responses.ErrorAsync(context, status, exception.Message)
            : Responses.ErrorAsync(context, status, text);
}
