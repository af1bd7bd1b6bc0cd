using System.Buffers;
using System.Text;
using System.Text.Json;

namespace JobTracking.Storage;

/// <summary>
/// A compact JSON form of a job's steps and reports, for stores that keep them as text (the SQLite and PostgreSQL stores
/// do). Times are UTC ticks, so they round-trip exactly; JSON escapes every control character, NUL included.
/// </summary>
public static class JobReportJson
{
    /// <summary>Writes steps as a JSON array of objects (name, status, started, ended, read, written, skipped, warnings).</summary>
    /// <param name="steps">The steps, in order.</param>
    /// <returns>The JSON text, or <see langword="null"/> when there are no steps.</returns>
    public static string? WriteSteps(IReadOnlyList<JobStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(64 * steps.Count);
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteSteps(json, steps);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads steps written by <see cref="WriteSteps(IReadOnlyList{JobStep})"/>.</summary>
    /// <param name="text">The JSON text.</param>
    /// <returns>The steps, in order.</returns>
    /// <exception cref="JsonException">The text is not such an array.</exception>
    /// <exception cref="KeyNotFoundException">A step lacks a field.</exception>
    public static IReadOnlyList<JobStep> ReadSteps(string text)
    {
        using var document = JsonDocument.Parse(text);
        return ReadSteps(document.RootElement);
    }

    /// <summary>Writes a report as a JSON object: <c>done</c>, <c>total</c> (when known), <c>warnings</c> and <c>steps</c> (when any).</summary>
    /// <param name="report">The report, or <see langword="null"/>.</param>
    /// <returns>The JSON text, or <see langword="null"/> for no report.</returns>
    public static string? WriteReport(JobReport? report)
    {
        if (report is null)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(64 + (64 * report.Steps.Count));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("done", report.Progress.Done);
            if (report.Progress.Total is { } total)
            {
                json.WriteNumber("total", total);
            }

            json.WriteNumber("warnings", report.WarningCount);
            if (report.Steps.Count > 0)
            {
                json.WritePropertyName("steps");
                WriteSteps(json, report.Steps);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a report written by <see cref="WriteReport"/> (a <c>total</c> or <c>steps</c> that is missing or null reads as unknown or none).</summary>
    /// <param name="text">The JSON text.</param>
    /// <returns>The report.</returns>
    /// <exception cref="JsonException">The text is not such an object.</exception>
    /// <exception cref="KeyNotFoundException">The report lacks a field.</exception>
    public static JobReport ReadReport(string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        return new JobReport
        {
            Progress = new JobProgress(
                root.GetProperty("done").GetInt64(),
                root.TryGetProperty("total", out var total) && total.ValueKind == JsonValueKind.Number ? total.GetInt64() : null),
            WarningCount = root.GetProperty("warnings").GetInt32(),
            Steps = root.TryGetProperty("steps", out var steps) && steps.ValueKind == JsonValueKind.Array ? ReadSteps(steps) : [],
        };
    }

    private static void WriteSteps(Utf8JsonWriter json, IReadOnlyList<JobStep> steps)
    {
        json.WriteStartArray();
        foreach (var step in steps)
        {
            json.WriteStartObject();
            json.WriteString("name", step.Name);
            json.WriteNumber("status", (int)step.Status);
            if (step.StartedAt is { } started)
            {
                json.WriteNumber("started", started.UtcTicks);
            }

            if (step.EndedAt is { } ended)
            {
                json.WriteNumber("ended", ended.UtcTicks);
            }

            json.WriteNumber("read", step.Read);
            json.WriteNumber("written", step.Written);
            json.WriteNumber("skipped", step.Skipped);
            json.WriteNumber("warnings", step.Warnings);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static List<JobStep> ReadSteps(JsonElement array)
    {
        var steps = new List<JobStep>(array.GetArrayLength());
        foreach (var step in array.EnumerateArray())
        {
            steps.Add(new JobStep
            {
                Name = step.GetProperty("name").GetString()!,
                Status = (JobStepStatus)step.GetProperty("status").GetInt32(),
                StartedAt = step.TryGetProperty("started", out var started) ? new DateTimeOffset(started.GetInt64(), TimeSpan.Zero) : null,
                EndedAt = step.TryGetProperty("ended", out var ended) ? new DateTimeOffset(ended.GetInt64(), TimeSpan.Zero) : null,
                Read = step.GetProperty("read").GetInt64(),
                Written = step.GetProperty("written").GetInt64(),
                Skipped = step.GetProperty("skipped").GetInt64(),
                Warnings = step.GetProperty("warnings").GetInt64(),
            });
        }

        return steps;
    }
}
