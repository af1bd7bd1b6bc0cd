using JobTracking.Dashboard.Pages;
using JobTracking.Dashboard.Queries;

namespace JobTracking.Dashboard.Commands;

/// <summary>
/// Cancels or restarts many jobs: the ones chosen, or every job matching the tracker's filters (up to
/// <see cref="JobTrackingDashboardOptions.MaxBulkJobs"/>), and says which changed and why the others did not.
/// </summary>
internal static class BulkCommand
{
    /// <summary>How many jobs a result names, one by one; past these it only counts them.</summary>
    public const int MaxListed = 1000;

    public static async Task<BulkResult> RunAsync(
        IJobTracker tracker, IJobRunner runner, DashboardCommand command, IReadOnlyList<Guid>? ids, TrackerFilter? filter, int max, JobCommandOptions? options, CancellationToken cancellationToken)
    {
        var truncated = false;
        List<Guid> targets;
        var known = new Dictionary<Guid, JobRecord>();
        if (ids is not null)
        {
            targets = [.. ids.Distinct()];
        }
        else
        {
            targets = [];
            var query = filter!.ToQuery(pageToken: null, pageSize: JobQuery.MaxPageSize);
            query = query with { PageToken = null };
            while (true)
            {
                var page = await tracker.ListAsync(query, cancellationToken).ConfigureAwait(false);
                foreach (var job in page.Items)
                {
                    if (targets.Count == max)
                    {
                        truncated = true;
                        break;
                    }

                    targets.Add(job.Id);
                    if (known.Count < MaxListed)
                    {
                        known[job.Id] = job;
                    }
                }

                if (truncated || page.NextPageToken is null)
                {
                    break;
                }

                query = query with { PageToken = page.NextPageToken };
            }
        }

        var changed = 0;
        var outcomes = new List<BulkOutcome>();
        foreach (var id in targets)
        {
            try
            {
                await JobCommands.RunAsync(runner, id, command, options, cancellationToken).ConfigureAwait(false);
                changed++;
                if (outcomes.Count < MaxListed)
                {
                    var job = known.GetValueOrDefault(id) ?? await FindAsync(tracker, id, cancellationToken).ConfigureAwait(false);
                    outcomes.Add(new BulkOutcome(id, job?.DisplayName, Changed: true, Status: null, StatusLabel: null, Reason: null));
                }
            }
            catch (InvalidJobTransitionException exception)
            {
                // The job as it is now: its name, and its warnings for "Finished with warnings".
                var job = outcomes.Count < MaxListed ? await FindAsync(tracker, id, cancellationToken).ConfigureAwait(false) : null;
                var warnings = job is not null && job.Status == exception.CurrentStatus ? job.WarningCount : 0;
                var label = StatusLabels.Label(exception.CurrentStatus, warnings);
                outcomes.Add(new BulkOutcome(id, job?.DisplayName ?? known.GetValueOrDefault(id)?.DisplayName, Changed: false, exception.CurrentStatus, label, $"it is {label}"));
            }
            catch (JobNotFoundException)
            {
                outcomes.Add(new BulkOutcome(id, known.GetValueOrDefault(id)?.DisplayName, Changed: false, Status: null, StatusLabel: null, "it no longer exists"));
            }
        }

        return new BulkResult(command, targets.Count, changed, outcomes, truncated);
    }

    private static async ValueTask<JobRecord?> FindAsync(IJobTracker tracker, Guid id, CancellationToken cancellationToken)
    {
        try
        {
            return await tracker.GetAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (JobNotFoundException)
        {
            return null;
        }
    }
}

/// <summary>What a bulk command did: every job it did not change, and the first <see cref="BulkCommand.MaxListed"/> it did.</summary>
internal sealed record BulkResult(DashboardCommand Command, int Requested, int Changed, IReadOnlyList<BulkOutcome> Outcomes, bool Truncated)
{
    /// <summary>Gets the jobs the command did not change, with the reason.</summary>
    public IEnumerable<BulkOutcome> Refused => Outcomes.Where(o => !o.Changed);

    /// <summary>Gets how many jobs the command did not change.</summary>
    public int RefusedCount => Outcomes.Count(o => !o.Changed);

    /// <summary>Gets what a job that changed went through, in the interface's words: "cancelled", "restarted".</summary>
    public string Verb => Command switch
    {
        DashboardCommand.Cancel => "cancelled",
        DashboardCommand.Restart => "restarted",
        DashboardCommand.Pause => "paused",
        _ => "resumed",
    };

    /// <summary>One sentence: "3 jobs cancelled; 2 not: 1 because it is Finished, 1 because it is Cancelled.", or, when no job changed, "Nothing changed: ...".</summary>
    public string Summary()
    {
        var refused = RefusedCount;
        var reasons = string.Join(", ", Refused.GroupBy(r => r.Reason, StringComparer.Ordinal).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} because {g.Key}"));
        string text;
        if (Requested == 0)
        {
            text = "Nothing changed: no job was selected or matched the filters.";
        }
        else if (Changed == 0)
        {
            text = $"Nothing changed: {refused} {Jobs(refused)} not {Verb}, {reasons}.";
        }
        else
        {
            text = $"{Changed} {Jobs(Changed)} {Verb}" + (refused > 0 ? $"; {refused} not: {reasons}." : ".");
        }

        return Truncated ? text + " More jobs matched than one bulk command changes; run it again for the rest." : text;
    }

    private static string Jobs(int count) => count == 1 ? "job" : "jobs";
}

/// <summary>One job of a bulk command: its name (when it still exists), whether it changed, and if not its status and why.</summary>
internal sealed record BulkOutcome(Guid JobId, string? DisplayName, bool Changed, JobStatus? Status, string? StatusLabel, string? Reason);
