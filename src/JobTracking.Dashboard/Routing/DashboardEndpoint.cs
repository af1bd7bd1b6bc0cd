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
        catch (DashboardInputException exception) when (!context.Response.HasStarted)
        {
            await Responses.ErrorAsync(context, StatusCodes.Status400BadRequest, exception.Message).ConfigureAwait(false);
        }
        catch (JobNotFoundException exception) when (!context.Response.HasStarted)
        {
            await Responses.ErrorAsync(context, StatusCodes.Status404NotFound, exception.Message).ConfigureAwait(false);
        }
        catch (JobScheduleNotFoundException exception) when (!context.Response.HasStarted)
        {
            await Responses.ErrorAsync(context, StatusCodes.Status404NotFound, exception.Message).ConfigureAwait(false);
        }
        catch (InvalidJobTransitionException exception) when (!context.Response.HasStarted)
        {
            await Responses.ErrorAsync(context, StatusCodes.Status409Conflict, exception.Message).ConfigureAwait(false);
        }
        catch (JobTrackingException exception) when (!context.Response.HasStarted)
        {
            // The store's own words, such as a stored row edited by hand that cannot be read: they name the job to repair.
            await Responses.ErrorAsync(context, StatusCodes.Status500InternalServerError, exception.Message).ConfigureAwait(false);
        }
    };
}
