using JobTracking.Storage;

namespace JobTracking.Control;

/// <summary>A run's report and checkpoint: built from its live counters, saved on a timer and at safe points, and kept as changed until its final status is stored.</summary>
internal abstract partial class JobRun
{
    /// <summary>Builds the report to store: progress, steps (running ones take <paramref name="endedAs"/> if given) and warnings.</summary>
    /// <param name="endedAs">The status running steps end with, when the run ends.</param>
    /// <param name="at">When they end.</param>
    /// <param name="keepDirty">Leaves the report marked as changed: a checkpoint save (the throttled report save stays due), or a final status whose write may lose its compare-and-set and be tried again (cleared by <see cref="MarkStored"/>).</param>
    public JobReport BuildReport(JobStepStatus? endedAs = null, DateTimeOffset? at = null, bool keepDirty = false)
    {
        if (endedAs is not null)
        {
            _ended = true;
        }

        // A checkpoint save (or a final status that may be tried again) stores the report but leaves it due. The flag is
        // cleared with a full fence before the report is read, so a change made meanwhile raises it again after this read
        // and is saved by the next one.
        if (!keepDirty)
        {
            Interlocked.Exchange(ref _reportDirty, 0);
            Volatile.Write(ref _reportSavedAt, _engine.TimeProvider.GetTimestamp());
        }

        JobProgress progress;
        List<JobStep> steps;
        lock (ReportLock)
        {
            progress = new JobProgress(_progressDone, _progressTotal < 0 ? null : _progressTotal);
            var all = _steps ?? [];
            if (endedAs is { } status)
            {
                foreach (var step in all)
                {
                    step.EndIfRunning(status, at ?? _engine.TimeProvider.GetUtcNow());
                }
            }

            steps = new List<JobStep>(all.Count);
            foreach (var step in all)
            {
                steps.Add(step.Snapshot());
            }
        }

        return new JobReport { Progress = progress, Steps = steps, WarningCount = Volatile.Read(ref _warnings) };
    }

    /// <summary>Marks the checkpoint and the report as stored with the transition that ends this run.</summary>
    public void MarkStored()
    {
        MarkCheckpointStored(Interlocked.Read(ref _checkpointVersion));
        Interlocked.Exchange(ref _reportDirty, 0);
    }

    /// <summary>Lets periodic report saves go on: the run was resumed before the safe point it stopped at.</summary>
    public void ResumeReports() => _ended = false;

    /// <summary>Waits for a report save under way, so the final report is never overwritten by an older one.</summary>
    public async ValueTask WaitForReportSaveAsync()
    {
        _ended = true;
        // Most runs of short jobs never save before they end: no gate, nothing in flight.
        if (Volatile.Read(ref _saveGate) is { } gate)
        {
            await gate.WaitAsync().ConfigureAwait(false);
            gate.Release();
        }
    }

    internal void ReportChanged()
    {
        Volatile.Write(ref _reportDirty, 1);
        var wait = _engine.Options.ProgressInterval - Elapsed(Volatile.Read(ref _reportSavedAt));
        if (wait <= TimeSpan.Zero)
        {
            if (Interlocked.Exchange(ref _reportSaving, 1) == 0)
            {
                _ = SaveReportAsync();
            }
        }
        else if (Interlocked.Exchange(ref _reportScheduled, 1) == 0)
        {
            // Throttled, but never stale: the change is stored when the interval is up even if nothing else changes.
            _reportTimer?.Dispose();
            _reportTimer = _engine.TimeProvider.CreateTimer(static state => ((JobRun)state!).OnReportTimer(), this, wait, System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    private void OnReportTimer()
    {
        // A full fence between clearing the flag and reading the dirty mark: a change whose ReportChanged still saw
        // the timer scheduled is seen here, so it is never left waiting for another change.
        Interlocked.Exchange(ref _reportScheduled, 0);
        if (IsReportDirty && !_ended)
        {
            ReportChanged();
        }
    }

    private async ValueTask DrainAndCheckpointAsync()
    {
        await Volatile.Read(ref _overflow)!.DrainAsync().ConfigureAwait(false);
        if (IsCheckpointDirty && TryTakeCheckpointTurn())
        {
            await SaveCheckpointAsync().ConfigureAwait(false);
        }
    }

    // One safe point per CheckpointInterval saves the checkpoint, however many tasks reach one at the same moment.
    private bool TryTakeCheckpointTurn()
    {
        var last = Volatile.Read(ref _checkpointSavedAt);
        return Elapsed(last) >= _engine.Options.CheckpointInterval
            && Interlocked.CompareExchange(ref _checkpointSavedAt, _engine.TimeProvider.GetTimestamp(), last) == last;
    }

    // Saves finish in any order; the stored version only goes up.
    private void MarkCheckpointStored(long version)
    {
        var stored = Interlocked.Read(ref _checkpointStoredVersion);
        while (stored < version)
        {
            var seen = Interlocked.CompareExchange(ref _checkpointStoredVersion, version, stored);
            if (seen == stored)
            {
                return;
            }

            stored = seen;
        }
    }

    private TimeSpan Elapsed(long since) => _engine.TimeProvider.GetElapsedTime(since);

    // The checkpoint counts as saved only once the store has it, and only up to the version read before the save read
    // the value: a newer one set meanwhile, from this task or another, stays due.
    private async ValueTask SaveCheckpointAsync()
    {
        var version = Interlocked.Read(ref _checkpointVersion);
        bool saved;
        try
        {
            saved = await SaveProgressAsync(withCheckpoint: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (_engine.Retry.IsTransient(ex))
        {
            // The store stayed unreachable through every retry. The job goes on: the checkpoint stays unsaved, the next
            // safe point after CheckpointInterval tries again, and the final status carries the report. Only a crash
            // before then would repeat the work since the last saved checkpoint, as it would have anyway.
            Log.CheckpointSaveFailed(_engine.Logger, ex, JobId);
            return;
        }

        if (saved)
        {
            MarkCheckpointStored(version);
        }
    }

    // One save at a time: the report is built inside the gate, so a later save always carries the newer report.
    private async ValueTask<bool> SaveProgressAsync(bool withCheckpoint)
    {
        var gate = LazyInitializer.EnsureInitialized(ref _saveGate, static () => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (IsLost || (_ended && !withCheckpoint))
            {
                return false;
            }

            var update = new JobProgressUpdate
            {
                JobId = JobId,
                ClaimId = ClaimId,
                Report = BuildReport(keepDirty: withCheckpoint),
                HasCheckpoint = withCheckpoint,
                Checkpoint = withCheckpoint ? Checkpoint : null,
            };
            if (await _engine.SaveProgressAsync(update, Lease).ConfigureAwait(false))
            {
                return true;
            }

            MarkLost("a progress save was refused");
            return false;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task SaveReportAsync()
    {
        try
        {
            await SaveProgressAsync(withCheckpoint: false).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed periodic save is logged; the next change or the final transition stores the report.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.ProgressSaveFailed(_engine.Logger, ex, JobId);
        }
        finally
        {
            // A full fence before the dirty mark is read below: a change whose ReportChanged found this save under way is seen.
            Interlocked.Exchange(ref _reportSaving, 0);
        }

        // A change made while the save was under way is not lost: it is saved (or scheduled) now.
        if (IsReportDirty && !_ended && !IsLost)
        {
            ReportChanged();
        }
    }
}
