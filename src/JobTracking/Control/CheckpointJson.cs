using System.Text.Json;

namespace JobTracking.Control;

/// <summary>The one encoding of checkpoints: JSON both ways, with <see langword="null"/> meaning no checkpoint.</summary>
internal static class CheckpointJson
{
    private const int MaxQuoted = 200;

    public static string? Write<T>(T checkpoint, JsonSerializerOptions options) =>
        checkpoint is null ? null : JsonSerializer.Serialize(checkpoint, options);

    public static T? Read<T>(string? checkpoint, Guid jobId, JsonSerializerOptions options)
    {
        if (checkpoint is null)
        {
            return default;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(checkpoint, options);
        }
        catch (JsonException ex)
        {
            var stored = checkpoint.Length <= MaxQuoted ? checkpoint : string.Concat(checkpoint.AsSpan(0, MaxQuoted), "…");
            throw new JsonException(
                $"The checkpoint of job '{jobId}' is not a valid {typeof(T).Name}; read it with the type it was set with. Stored checkpoint: {stored}. {ex.Message}",
                ex);
        }
    }
}
