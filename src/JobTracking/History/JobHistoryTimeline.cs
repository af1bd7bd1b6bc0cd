namespace JobTracking.History;

/// <summary>
/// A job's timeline: what its record holds (its creation, and each attempt's start and end) merged with the entries its
/// journal holds (commands, reclaims, retries), ordered by time. Entries of one time (a clock that did not move between
/// them) keep the order in which they happen: by attempt, then the creation, what queued the attempt (a submit, a
/// restart, a retry, a resume), its start, what came to it while it ran (a pause, a cancel), and its end.
/// </summary>
internal static class JobHistoryTimeline
{
    public static IReadOnlyList<JobHistoryEntry> Build(JobRecord job, IReadOnlyList<JobHistoryEntry> recorded)
    {
        var derived = new List<JobHistoryEntry>(3 + (2 * job.PreviousAttempts.Count))
        {
            new()
            {
                At = job.CreatedAt,
                Kind = JobHistoryKind.Created,
                ToStatus = job.Status == JobStatus.Editing || recorded.Any(e => e.FromStatus == JobStatus.Editing) ? JobStatus.Editing : JobStatus.Queued,
                Actor = job.LaunchedBy,
                Attempt = 1,
            },
        };
        foreach (var attempt in job.Attempts)
        {
            var current = attempt.Number == job.Attempt;
            derived.Add(new JobHistoryEntry
            {
                At = attempt.StartedAt,
                Kind = JobHistoryKind.Started,
                Node = current ? job.Node : null,
                Attempt = attempt.Number,
            });
            if (attempt.EndedAt is { } ended)
            {
                derived.Add(new JobHistoryEntry
                {
                    At = ended,
                    Kind = JobHistoryKind.Ended,
                    ToStatus = attempt.Status,
                    Reason = attempt.Error is { } error ? $"{error.Type}: {error.Message}" : null,
                    Node = current ? job.Node : null,
                    Attempt = attempt.Number,
                });
            }
        }

        // A stable sort: entries equal in all three keep the journal's order.
        return [.. derived.Concat(recorded).OrderBy(e => e.At).ThenBy(e => e.Attempt).ThenBy(Rank)];
    }

    private static int Rank(JobHistoryEntry entry) => entry.Kind switch
    {
        JobHistoryKind.Created => 0,
        JobHistoryKind.Started => 2,
        JobHistoryKind.Ended => 4,
        _ when entry.ToStatus == JobStatus.Queued => 1,
        _ => 3,
    };
}
