using JobTracking.Journal;
using JobTracking.Ownership;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.History;

/// <summary>
/// Records what changes a job beyond its own runs (commands, reclaims, retries) as history entries in its journal. An
/// entry goes through the journal's write-behind buffer after its change is stored, so it takes the journal's retries and
/// never delays or undoes the change: a host that stops between the two loses the entry, never the change.
/// </summary>
internal sealed class JobHistoryRecorder
{
    private readonly JobJournalWriter _journal;
    private readonly JobInstance _instance;
    private readonly ILogger _logger;

    public JobHistoryRecorder(JobJournalWriter journal, JobInstance instance, ILogger logger)
    {
        _journal = journal;
        _instance = instance;
        _logger = logger;
    }

    /// <summary>Gets whether the store keeps history entries (implements <see cref="IJobHistoryStore"/>); when not, nothing is recorded.</summary>
    public bool IsKept => _journal.KeepsHistory;

    /// <summary>Records a command that moved <paramref name="job"/> (as read before the move) to <paramref name="to"/> at <paramref name="at"/> (the move's time).</summary>
    /// <remarks>Waits for room in the buffer at most until <paramref name="cancellationToken"/> fires; then the entry is dropped and logged, and the command still counts as done.</remarks>
    public async ValueTask RecordCommandAsync(JobRecord job, JobCommand command, JobStatus to, DateTimeOffset at, JobCommandOptions? options, CancellationToken cancellationToken)
    {
        if (!IsKept)
        {
            return;
        }

        var entry = new JobHistoryEntry
        {
            At = at,
            Kind = Kind(command),
            FromStatus = job.Status,
            ToStatus = to,
            Actor = options?.Actor,
            Reason = options?.Reason,
            Instance = _instance.Id,
            Node = _instance.Node,
            Attempt = command == JobCommand.Restart ? job.Attempt + 1 : job.Attempt,
        };
        try
        {
            await _journal.WriteAsync(ToJournal(job.Id, entry), lease: null, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.HistoryEntryDropped(_logger, job.Id, entry.Kind);
        }
    }

    /// <summary>Records a job that a reclaim made at <paramref name="at"/> took from the instance that held it (or queued again after an interruption).</summary>
    /// <remarks>Never waits: the heartbeat that reclaims also renews this instance's leases, so when the buffer is full the entry is dropped and logged.</remarks>
    public void RecordReclaim(JobReclaimed taken, DateTimeOffset at)
    {
        if (!IsKept)
        {
            return;
        }

        var entry = new JobHistoryEntry
        {
            At = at,
            Kind = JobHistoryKind.Reclaim,
            FromStatus = taken.PreviousStatus,
            ToStatus = taken.Job.Status,
            Instance = taken.PreviousInstanceId,
            Attempt = taken.Job.Attempt,
        };
        if (!_journal.TryWrite(ToJournal(taken.Job.Id, entry), lease: null))
        {
            Log.HistoryEntryDropped(_logger, taken.Job.Id, entry.Kind);
        }
    }

    /// <summary>Records a failed attempt that the job's retry policy queued again, at <paramref name="at"/>, as attempt <paramref name="attempt"/>.</summary>
    public ValueTask RecordRetryAsync(Guid jobId, JobStatus from, int attempt, DateTimeOffset at, Exception? error) => !IsKept ? ValueTask.CompletedTask : WriteAsync(jobId, new JobHistoryEntry
    {
        At = at,
        Kind = JobHistoryKind.Retry,
        FromStatus = from,
        ToStatus = JobStatus.Queued,
        Reason = error is null ? null : Shorten($"{error.GetType().Name}: {error.Message}"),
        Instance = _instance.Id,
        Node = _instance.Node,
        Attempt = attempt,
    }, CancellationToken.None);

    private async ValueTask WriteAsync(Guid jobId, JobHistoryEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await _journal.WriteAsync(ToJournal(jobId, entry), lease: null, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.HistoryEntryDropped(_logger, jobId, entry.Kind);
        }
    }

    private static JobJournalEntry ToJournal(Guid jobId, JobHistoryEntry entry) => new()
    {
        JobId = jobId,
        Kind = JobJournalKind.History,
        At = entry.At,
        Level = LogLevel.Information,
        Text = JobHistoryText.Write(entry),
    };

    private static JobHistoryKind Kind(JobCommand command) => command switch
    {
        JobCommand.Submit => JobHistoryKind.Submit,
        JobCommand.Pause => JobHistoryKind.Pause,
        JobCommand.Resume => JobHistoryKind.Resume,
        JobCommand.Cancel => JobHistoryKind.Cancel,
        JobCommand.Restart => JobHistoryKind.Restart,
        JobCommand.RunNow => JobHistoryKind.RunNow,
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Only a command that moves a job is recorded."),
    };

    // An error's message can be long: the history keeps as much of it as an actor or a reason may hold.
    private static string Shorten(string text)
    {
        const int max = JobStartOptions.MaxTextLength;
        if (text.Length <= max)
        {
            return text;
        }

        var kept = char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1;
        return string.Concat(text.AsSpan(0, kept), "…");
    }
}
