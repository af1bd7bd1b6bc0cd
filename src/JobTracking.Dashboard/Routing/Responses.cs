using System.Globalization;
using System.Text.Json;
using JobTracking.Dashboard.Api;
using JobTracking.Dashboard.Pages;
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

    /// <summary>Answers an error: <c>{"error": "..."}</c> in English to the JSON API, a page in the reader's language otherwise.</summary>
    public static Task ErrorAsync(HttpContext context, int status, LocalText message) =>
        IsApi(context) ? JsonAsync(context, new ErrorView(message.ToString()), status) : ErrorPageAsync(context, status, message.In(DashboardText.For(context)));

    /// <summary>Answers an error whose message is not the dashboard's (a store's own words): as it is, in both forms.</summary>
    public static Task ErrorAsync(HttpContext context, int status, string message) =>
        IsApi(context) ? JsonAsync(context, new ErrorView(message), status) : ErrorPageAsync(context, status, message);

    private static Task ErrorPageAsync(HttpContext context, int status, string message)
    {
        var text = DashboardText.For(context);
        var html = new Html();
        html.Raw("<!DOCTYPE html><html").Attr("lang", text.Lang).Raw("><head><meta charset=\"utf-8\"><title>").Text(status.ToString(CultureInfo.InvariantCulture))
            .Raw("</title></head><body><h1>").Text(status.ToString(CultureInfo.InvariantCulture)).Raw("</h1><p class=\"jt-error\">").Text(message).Raw("</p></body></html>");
        return HtmlAsync(context, html.ToString(), status);
    }
}
