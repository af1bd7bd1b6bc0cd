using Microsoft.AspNetCore.Http;

namespace JobTracking.Dashboard.Security;

/// <summary>The headers of every dashboard answer: a strict Content-Security-Policy (no inline script or style), no framing, no sniffing, no caching.</summary>
internal static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void Apply(HttpResponse response, bool cacheable = false)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        if (!cacheable)
        {
            headers.CacheControl = "no-store";
        }
    }
}
