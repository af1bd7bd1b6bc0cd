namespace JobTracking.Testing.Tests;

/// <summary>Copies of the store's page and journal types with one value changed, for the broken stores.</summary>
internal static class Copies
{
    public static JobPage WithItems(this JobPage page, IReadOnlyList<JobRecord> items) => new() { Items = items, NextPageToken = page.NextPageToken };

    public static JobPage WithToken(this JobPage page, string? token) => new() { Items = page.Items, NextPageToken = token };

    public static JournalPage<T> WithItems<T>(this JournalPage<T> page, IReadOnlyList<T> items) => new() { Items = items, NextPageToken = page.NextPageToken };

    public static JournalPage<T> WithToken<T>(this JournalPage<T> page, string? token) => new() { Items = page.Items, NextPageToken = token };

    public static JobLogEntry WithSequence(this JobLogEntry entry, long sequence) =>
        new() { Sequence = sequence, At = entry.At, Level = entry.Level, Message = entry.Message };

    public static JobReject WithSequence(this JobReject reject, long sequence) =>
        new() { Sequence = sequence, At = reject.At, RecordNumber = reject.RecordNumber, RawRecord = reject.RawRecord, Reason = reject.Reason };
}
