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
                    outcomes.Add(new BulkOutcome(id, job?.DisplayName, Changed: true, Status: null));
                }
            }
            catch (InvalidJobTransitionException exception)
            {
                // The job as it is now: its name, and its warnings for "Finished with warnings".
                var job = outcomes.Count < MaxListed ? await FindAsync(tracker, id, cancellationToken).ConfigureAwait(false) : null;
                var warnings = job is not null && job.Status == exception.CurrentStatus ? job.WarningCount : 0;
                outcomes.Add(new BulkOutcome(id, job?.DisplayName ?? known.GetValueOrDefault(id)?.DisplayName, Changed: false, exception.CurrentStatus, warnings));
            }
            catch (JobNotFoundException)
            {
                outcomes.Add(new BulkOutcome(id, known.GetValueOrDefault(id)?.DisplayName, Changed: false, Status: null));
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

    /// <summary>One sentence in English, for the JSON API and the log: "3 jobs cancelled; 2 not: 1 because it is Finished, 1 because it is Cancelled.", or, when no job changed, "Nothing changed: ...".</summary>
    public string Summary() => Summary(DashboardText.Invariant);

    /// <summary>The sentence in the reader's language: "3 tâches annulées ; 2 non : ...".</summary>
    public string Summary(DashboardText text)
    {
        var refused = RefusedCount;
        var reasons = string.Join(text["Bulk.Summary.Separator"], Refused.GroupBy(r => r.ReasonIn(text), StringComparer.Ordinal).OrderByDescending(g => g.Count())
            .Select(g => text.Format("Bulk.Summary.Because", text.Number(g.Count()), g.Key)));
        string summary;
        if (Requested == 0)
        {
            summary = text["Bulk.Summary.Nothing"];
        }
        else if (Changed == 0)
        {
            summary = text.Plural("Bulk.Summary.NoneChanged." + Command, refused, reasons);
        }
        else
        {
            var changed = text.Plural("Bulk.Summary.Changed." + Command, Changed);
            summary = refused > 0 ? text.Format("Bulk.Summary.SomeRefused", changed, text.Number(refused), reasons) : text.Format("Bulk.Summary.AllChanged", changed);
        }

        return Truncated ? summary + " " + text["Bulk.Summary.Truncated"] : summary;
    }
}

/// <summary>One job of a bulk command: its name (when it still exists), whether it changed, and if not its status (none: it no longer exists) and why.</summary>
internal sealed record BulkOutcome(Guid JobId, string? DisplayName, bool Changed, JobStatus? Status, int Warnings = 0)
{
    /// <summary>Gets the status's label in English (the JSON API's), "Finished with warnings" included.</summary>
    public string? StatusLabel => Status is { } status ? StatusLabels.Label(status, Warnings) : null;

    /// <summary>Gets why the job did not change, in English: "it is Finished", "it no longer exists".</summary>
    public string? Reason => Changed ? null : ReasonIn(DashboardText.Invariant);

    public string ReasonIn(DashboardText text) =>
        Status is { } status ? text.Format("Bulk.Reason.Status", StatusLabels.Label(text, status, Warnings)) : text["Bulk.Reason.Gone"];
}
