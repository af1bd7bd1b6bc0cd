namespace JobTracking.Storage;

/// <summary>What a journal entry holds: a log line or a rejected record.</summary>
public enum JobJournalKind
{
    /// <summary>A log line: time, level, message.</summary>
    Log = 0,

    /// <summary>A rejected record: record number, raw record, reason.</summary>
    Reject = 1,
}
