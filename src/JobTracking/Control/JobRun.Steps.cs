namespace JobTracking.Control;

/// <summary>A run's steps: each step's live counters, read into the report.</summary>
internal abstract partial class JobRun
{
    /// <summary>A step's live counters.</summary>
    private sealed class StepState(JobRun run, JobStep stored) : IJobStep
    {
        private long _read = stored.Read;
        private long _written = stored.Written;
        private long _skipped = stored.Skipped;
        private long _warnings = stored.Warnings;
        private JobStepStatus _status = stored.Status;
        private DateTimeOffset? _startedAt = stored.StartedAt;
        private DateTimeOffset? _endedAt = stored.EndedAt;

        public string Name { get; } = stored.Name;

        public void AddRead(long count = 1) => Add(ref _read, count);

        public void AddWritten(long count = 1) => Add(ref _written, count);

        public void AddSkipped(long count = 1) => Add(ref _skipped, count);

        public void AddWarning(long count = 1)
        {
            Add(ref _warnings, count);
            run.AddWarnings(count);
        }

        /// <summary>Counts a reject made while this step runs as one of its warnings; the job's count is raised by the reject itself.</summary>
        public void CountReject() => Interlocked.Increment(ref _warnings);

        public void Complete()
        {
            lock (run.ReportLock)
            {
                EndIfRunning(JobStepStatus.Completed, run._engine.TimeProvider.GetUtcNow());
            }

            run.ReportChanged();
        }

        public void Begin(DateTimeOffset at)
        {
            lock (run.ReportLock)
            {
                _startedAt ??= at;
                _endedAt = null;
                _status = JobStepStatus.Running;
            }
        }

        public bool IsRunning => _status == JobStepStatus.Running;

        public void EndIfRunning(JobStepStatus status, DateTimeOffset at)
        {
            if (_status == JobStepStatus.Running)
            {
                _status = status;
                _endedAt = at;
            }
        }

        public JobStep Snapshot() => new()
        {
            Name = Name,
            Status = _status,
            StartedAt = _startedAt,
            EndedAt = _endedAt,
            Read = Interlocked.Read(ref _read),
            Written = Interlocked.Read(ref _written),
            Skipped = Interlocked.Read(ref _skipped),
            Warnings = Interlocked.Read(ref _warnings),
        };

        private void Add(ref long counter, long count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            Interlocked.Add(ref counter, count);
            run.ReportChanged();
        }
    }
}
