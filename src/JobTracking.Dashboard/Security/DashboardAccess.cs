using System.Net;
using JobTracking.Dashboard.Pages;
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
/// Decides what a request may do from the configured policies: with no read policy, local requests only; acting needs
/// reading plus the act policy when one is set.
/// </summary>
/// <remarks>
/// A local request comes from a loopback address, names this machine in its <c>Host</c> header (localhost, 127.0.0.1
/// or [::1], any port) and carries no proxy header. The address alone is not enough: a page of another site whose name
/// the attacker points at 127.0.0.1 (DNS rebinding) reaches the dashboard from the user's own browser with that site's
/// name as host, and a reverse proxy on the same machine connects from loopback for every visitor.
/// </remarks>
internal static class DashboardAccess
{
    private static readonly string[] ProxyHeaders = ["Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP"];

    public static async ValueTask<DashboardRight> GetRightAsync(HttpContext context, JobTrackingDashboardOptions options)
    {
        var canRead = options.ReadPolicy is { } read
            ? await AuthorizeAsync(context, read).ConfigureAwait(false)
            : WhyNotLocal(context) is null;
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
                ? new LocalText("Error.LocalOnly", WhyNotLocal(context) ?? new LocalText("Error.NotLocal.Is"))
                : new LocalText("Error.ReadPolicy", options.ReadPolicy)
            : new LocalText("Error.ActPolicy", options.ActPolicy);
        await Responses.ErrorAsync(context, StatusCodes.Status403Forbidden, message).ConfigureAwait(false);
    }

    /// <summary>Says why a request is not local (read as the end of "this one ..."), or returns <see langword="null"/> when it is.</summary>
    internal static LocalText? WhyNotLocal(HttpContext context)
    {
        if (!IsLoopback(context.Connection.RemoteIpAddress))
        {
            return new LocalText("Error.NotLocal.Remote");
        }

        foreach (var header in ProxyHeaders)
        {
            if (context.Request.Headers.ContainsKey(header))
            {
                return new LocalText("Error.NotLocal.Proxy", header);
            }
        }

        var host = context.Request.Host;
        return host.HasValue && IsLocalHostName(host.Host)
            ? null
            : new LocalText("Error.NotLocal.Host");
    }

    private static bool IsLoopback(IPAddress? remote)
    {
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

    private static bool IsLocalHostName(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host == "127.0.0.1" || host == "[::1]";

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
