using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobTracking.Dashboard.Api;

/// <summary>How the JSON API writes and reads: camelCase, statuses and levels by name.</summary>
internal static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
