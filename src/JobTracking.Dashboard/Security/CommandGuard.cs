using JobTracking.Dashboard.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Dashboard.Security;

/// <summary>
/// What every command must show besides the right to act: a request from the dashboard's own origin
/// (<c>Sec-Fetch-Site</c>, which browsers send) and a valid antiforgery token (form field or header).
/// </summary>
internal static class CommandGuard
{
    /// <summary>Returns the status and reason of a refusal, or <see langword="null"/> when the request may go on.</summary>
    public static async ValueTask<(int Status, LocalText Reason)?> CheckAsync(HttpContext context)
    {
        // A value other than same-origin is another site (or a pasted link) sending the browser here with its cookies.
        var site = context.Request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && !string.Equals(site, "same-origin", StringComparison.OrdinalIgnoreCase))
        {
            return (StatusCodes.Status403Forbidden, new LocalText("Error.CrossSite", site));
        }

        var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
        try
        {
            await antiforgery.ValidateRequestAsync(context).ConfigureAwait(false);
            return null;
        }
        catch (AntiforgeryValidationException exception)
        {
            return (StatusCodes.Status400BadRequest, new LocalText("Error.Antiforgery", exception.Message));
        }
    }
}
