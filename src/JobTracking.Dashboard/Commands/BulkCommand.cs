using JobTracking.Dashboard.Queries;

namespace JobTracking.Dashboard.Commands;

/// <summary>
/// Cancels or restarts many jobs: the ones chosen, or every job matching the tracker's filters (up to
/// <see cref="JobTrackingDashboardOptions.MaxBulkJobs"/>), and says how many changed and why the others did not.
/// </summary>
internal static class BulkCommand
{
    public static async Task<BulkResult> RunAsync(
        IJobTracker tracker, IJobRunner runner, DashboardCommand command, IReadOnlyList<Guid>? ids, TrackerFilter? filter, int max, JobCommandOptions? options, CancellationToken cancellationToken)
    {
        var truncated = false;
        List<Guid> targets;
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
                }

                if (truncated || page.NextPageToken is null)
                {
                    break;
                }

                query = query with { PageToken = page.NextPageToken };
            }
        }

        var changed = 0;
        var refused = new List<BulkRefusal>();
        foreach (var id in targets)
        {
            try
            {
                await JobCommands.RunAsync(runner, id, command, options, cancellationToken).ConfigureAwait(false);
                changed++;
            }
            catch (InvalidJobTransitionException exception)
            {
                refused.Add(new BulkRefusal(id, exception.CurrentStatus, $"it is {exception.CurrentStatus}"));
            }
            catch (JobNotFoundException)
            {
                refused.Add(new BulkRefusal(id, null, "it no longer exists"));
            }
        }

        return new BulkResult(command, targets.Count, changed, refused, truncated);
    }
}

/// <summary>What a bulk command did.</summary>
internal sealed record BulkResult(DashboardCommand Command, int Requested, int Changed, IReadOnlyList<BulkRefusal> Refused, bool Truncated)
{
    /// <summary>One sentence: "3 jobs cancelled; 2 not: 1 is Completed, 1 is Cancelled."</summary>
    public string Summary()
    {
        var verb = Command switch
        {
            DashboardCommand.Cancel => "cancelled",
            DashboardCommand.Restart => "restarted",
            DashboardCommand.Pause => "paused",
            _ => "resumed",
        };
        var text = $"{Changed} {(Changed == 1 ? "job" : "jobs")} {verb}";
        if (Refused.Count > 0)
        {
            var reasons = Refused.GroupBy(r => r.Reason).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} because {g.Key}");
            text += $"; {Refused.Count} not: {string.Join(", ", reasons)}";
        }

        text += Requested == 0 ? " (no job was selected or matched)." : ".";
        return Truncated ? text + " More jobs matched than one bulk command changes; run it again for the rest." : text;
    }
}

/// <summary>A job a bulk command did not change, and why.</summary>
internal sealed record BulkRefusal(Guid JobId, JobStatus? Status, string Reason);
