using System.Net;
using JobTracking.Dashboard.Routing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobTracking.Dashboard.Security;

/// <summary>What one request may do: nothing, read, or read and act.</summary>
internal enum DashboardRight
{
    None = 0,
    Read = 1,
    Act = 2,
}

/// <summary>
/// Decides what a request may do from the configured policies: with no read policy, local (loopback) requests only;
/// acting needs reading plus the act policy when one is set.
/// </summary>
internal static class DashboardAccess
{
    public static async ValueTask<DashboardRight> GetRightAsync(HttpContext context, JobTrackingDashboardOptions options)
    {
        var canRead = options.ReadPolicy is { } read
            ? await AuthorizeAsync(context, read).ConfigureAwait(false)
            : IsLocal(context.Connection);
        if (!canRead)
        {
            return DashboardRight.None;
        }

        var canAct = options.ActPolicy is not { } act || await AuthorizeAsync(context, act).ConfigureAwait(false);
        return canAct ? DashboardRight.Act : DashboardRight.Read;
    }

    /// <summary>
    /// Answers a request that lacks a right: a user who is not signed in is challenged (the policy's schemes, else the
    /// host's default challenge scheme, which may redirect to a sign-in page); anyone else gets 403 saying why.
    /// </summary>
    public static async Task RefuseAsync(HttpContext context, JobTrackingDashboardOptions options, DashboardRight needed)
    {
        var policyName = needed == DashboardRight.Read ? options.ReadPolicy : options.ActPolicy ?? options.ReadPolicy;
        if (policyName is not null && context.User.Identity?.IsAuthenticated != true)
        {
            var policy = await GetPolicyAsync(context, policyName).ConfigureAwait(false);
            if (policy.AuthenticationSchemes.Count > 0)
            {
                foreach (var scheme in policy.AuthenticationSchemes)
                {
                    await context.ChallengeAsync(scheme).ConfigureAwait(false);
                }

                return;
            }

            if (context.RequestServices.GetService<IAuthenticationSchemeProvider>() is { } schemes
                && await schemes.GetDefaultChallengeSchemeAsync().ConfigureAwait(false) is not null)
            {
                await context.ChallengeAsync().ConfigureAwait(false);
                return;
            }
        }

        var message = needed == DashboardRight.Read
            ? options.ReadPolicy is null
                ? "The job dashboard answers local requests only. Set JobTrackingDashboardOptions.ReadPolicy to open it to other users."
                : $"The job dashboard needs the authorization policy '{options.ReadPolicy}', which this user does not satisfy."
            : $"This user may read the job dashboard but not act on jobs (policy '{options.ActPolicy}').";
        await Responses.ErrorAsync(context, StatusCodes.Status403Forbidden, message).ConfigureAwait(false);
    }

    internal static bool IsLocal(ConnectionInfo connection)
    {
        var remote = connection.RemoteIpAddress;
        if (remote is null)
        {
            return false;
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        return IPAddress.IsLoopback(remote);
    }

    // As the authorization middleware does: sign in with the policy's own schemes (if it names any), then evaluate it.
    private static async ValueTask<bool> AuthorizeAsync(HttpContext context, string policyName)
    {
        var policy = await GetPolicyAsync(context, policyName).ConfigureAwait(false);
        var evaluator = context.RequestServices.GetRequiredService<IPolicyEvaluator>();
        var authentication = await evaluator.AuthenticateAsync(policy, context).ConfigureAwait(false);
        var result = await evaluator.AuthorizeAsync(policy, authentication, context, context).ConfigureAwait(false);
        return result.Succeeded;
    }

    private static async ValueTask<AuthorizationPolicy> GetPolicyAsync(HttpContext context, string policyName)
    {
        var provider = context.RequestServices.GetRequiredService<IAuthorizationPolicyProvider>();
        return await provider.GetPolicyAsync(policyName).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The JobTracking dashboard's policy '{policyName}' is not defined; add it with services.AddAuthorization(o => o.AddPolicy(\"{policyName}\", ...)).");
    }
}
