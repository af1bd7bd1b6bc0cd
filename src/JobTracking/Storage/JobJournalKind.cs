namespace JobTracking.Storage;

/// <summary>What a journal entry holds: a log line, a rejected record or an entry of the job's history.</summary>
public enum JobJournalKind
{
    /// <summary>A log line: time, level, message.</summary>
    Log = 0,

    /// <summary>A rejected record: record number, raw record, reason.</summary>
    Reject = 1,

    /// <summary>An entry of the job's history (a command, a reclaim, a retry): time and <see cref="JobJournalEntry.Text"/>, which holds its details. Appended only to a store that implements <see cref="IJobHistoryStore"/>, which keeps these entries apart from log lines and rejects.</summary>
    History = 2,
}
