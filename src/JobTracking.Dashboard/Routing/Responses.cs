using System.Text.Encodings.Web;
using System.Text.Json;
using JobTracking.Dashboard.Api;
using JobTracking.Dashboard.Security;
using Microsoft.AspNetCore.Http;

namespace JobTracking.Dashboard.Routing;

/// <summary>Writes answers: HTML pages and fragments, JSON, and errors in the form the caller reads (JSON for the API, HTML otherwise).</summary>
internal static class Responses
{
    private const string ApiKey = "JobTracking.Dashboard.Api";

    public static void MarkApi(HttpContext context) => context.Items[ApiKey] = true;

    public static bool IsApi(HttpContext context) => context.Items.ContainsKey(ApiKey);

    public static Task HtmlAsync(HttpContext context, string html, int status = StatusCodes.Status200OK)
    {
        SecurityHeaders.Apply(context.Response);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(html, context.RequestAborted);
    }

    public static Task JsonAsync<T>(HttpContext context, T value, int status = StatusCodes.Status200OK)
    {
        SecurityHeaders.Apply(context.Response);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, DashboardJson.Options, context.RequestAborted);
    }

    public static Task ErrorAsync(HttpContext context, int status, string message)
    {
        if (IsApi(context))
        {
            return JsonAsync(context, new ErrorView(message), status);
        }

        var text = HtmlEncoder.Default.Encode(message);
        return HtmlAsync(context, $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status}</title></head><body><h1>{status}</h1><p class=\"jt-error\">{text}</p></body></html>", status);
    }
}
