using System.Buffers;
using System.Text;
using System.Text.Json;
using JobTracking.Storage;

namespace JobTracking.History;

/// <summary>
/// The text a history entry is stored as: a JSON object of its details (kind, from, to, actor, reason, instance, node,
/// attempt), so a store keeps one text column and a field added later needs no schema change. Enumerations are written
/// by name; a reader skips the fields it does not know.
/// </summary>
internal static class JobHistoryText
{
    public static string Write(JobHistoryEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kind", entry.Kind.ToString());
            if (entry.FromStatus is { } from)
            {
                json.WriteString("from", from.ToString());
            }

            if (entry.ToStatus is { } to)
            {
                json.WriteString("to", to.ToString());
            }

            WriteText(json, "actor", entry.Actor);
            WriteText(json, "reason", entry.Reason);
            WriteText(json, "instance", entry.Instance);
            WriteText(json, "node", entry.Node);
            json.WriteNumber("attempt", entry.Attempt);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a stored entry; one whose text cannot be read (edited by hand, or written by a newer version with a kind this one does not know) is <see langword="null"/>.</summary>
    public static JobHistoryEntry? Read(JobHistoryRecord record)
    {
        try
        {
            using var document = JsonDocument.Parse(record.Text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("kind", out var kindText)
                || !Enum.TryParse<JobHistoryKind>(kindText.GetString(), ignoreCase: false, out var kind) || !Enum.IsDefined(kind))
            {
                return null;
            }

            return new JobHistoryEntry
            {
                At = record.At,
                Kind = kind,
                FromStatus = Status(root, "from"),
                ToStatus = Status(root, "to"),
                Actor = Text(root, "actor"),
                Reason = Text(root, "reason"),
                Instance = Text(root, "instance"),
                Node = Text(root, "node"),
                Attempt = root.TryGetProperty("attempt", out var attempt) && attempt.TryGetInt32(out var number) ? number : 0,
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static void WriteText(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static JobStatus? Status(JsonElement root, string name) =>
        Text(root, name) is { } text && Enum.TryParse<JobStatus>(text, ignoreCase: false, out var status) && Enum.IsDefined(status) ? status : null;
}
