using System.Collections.Concurrent;
using System.Globalization;

namespace JobTracking.Storage;

// The in-memory store: one stored job: its record, its state word and its queue place.
public sealed partial class InMemoryJobStore
{
    private sealed class Entry
    {
        public long State;
        public int Attempt;
        public JobAttempt[] PreviousAttempts = []; // replaced whole on a restart, never changed in place
        public string? Node;
        public JobClaim? Owner; // swapped whole, so a reader never sees half of it; snapshots share it
        public JobReport Report;
        public SavedCheckpoint? Saved;
        public JobError? Error;
        public long QueueSequence; // its place in the queue when it last entered it; read and written under the queue lock
        public string Parameters;
        public string DisplayName;
        public string? IdempotencyKey; // cleared under the busy bit when another job takes the key

        // The times as CompactTime keeps them in a record: an entry is 64 bytes smaller than with DateTimeOffset? fields.
        private readonly long _createdAt;
        private readonly long _idempotentUntil;
        private readonly long _timeout;
        private long _startedAt;
        private long _endedAt;
        private long _runAfter;
        private CompactTime.Offsets _offsets;
        private readonly bool _hasTimeout;

        private Entry(DateTimeOffset createdAt, Guid id)
        {
            Id = id;
            _createdAt = CompactTime.Write(createdAt, out _offsets.CreatedAt);
            TypeName = DisplayName = Parameters = string.Empty;
            Report = JobReport.Empty;
        }

        public Entry(JobRecord job)
        {
            Id = job.Id;
            TypeName = job.TypeName;
            DisplayName = job.DisplayName;
            Parameters = job.Parameters;
            LaunchedBy = job.LaunchedBy;
            Priority = job.Priority;
            ConcurrencyKey = job.ConcurrencyKey;
            _createdAt = CompactTime.Write(job.CreatedAt, out _offsets.CreatedAt);
            RunAfter = job.RunAfter;
            IdempotencyKey = job.IdempotencyKey;
            _idempotentUntil = CompactTime.Write(job.IdempotentUntil, out _offsets.IdempotentUntil);
            (_hasTimeout, _timeout) = (job.Timeout.HasValue, job.Timeout.GetValueOrDefault().Ticks);
            State = Pack(job.Status, job.Version, busy: false);
            StartedAt = job.StartedAt;
            EndedAt = job.EndedAt;
            Attempt = job.Attempt;
            Node = job.Node;
            Report = job.Progress == default && job.Steps.Count == 0 && job.WarningCount == 0
                ? JobReport.Empty
                : new JobReport { Progress = job.Progress, Steps = job.Steps, WarningCount = job.WarningCount };
            Saved = job.Checkpoint is null && job.CheckpointReport is null ? null : new SavedCheckpoint(job.Checkpoint, job.CheckpointReport);
            Error = job.Error;
        }

        public Guid Id { get; }

        /// <summary>A search key for the creation index.</summary>
        public static Entry Key(DateTimeOffset createdAt, Guid id) => new(createdAt, id);

        public string TypeName { get; }

        public string? LaunchedBy { get; }

        public int Priority { get; }

        public string? ConcurrencyKey { get; }

        public DateTimeOffset CreatedAt => CompactTime.ReadRequired(_createdAt, _offsets.CreatedAt);

        public DateTimeOffset? IdempotentUntil => CompactTime.Read(_idempotentUntil, _offsets.IdempotentUntil);

        public TimeSpan? Timeout => _hasTimeout ? new TimeSpan(_timeout) : null;

        // Written under the busy bit, each instant in one 8-byte write.
        public DateTimeOffset? StartedAt
        {
            get => CompactTime.Read(_startedAt, _offsets.StartedAt);
            set => _startedAt = CompactTime.Write(value, out _offsets.StartedAt);
        }

        public DateTimeOffset? EndedAt
        {
            get => CompactTime.Read(_endedAt, _offsets.EndedAt);
            set => _endedAt = CompactTime.Write(value, out _offsets.EndedAt);
        }

        // Changed by a move to Queued only, under the busy bit.
        public DateTimeOffset? RunAfter
        {
            get => CompactTime.Read(_runAfter, _offsets.RunAfter);
            set => _runAfter = CompactTime.Write(value, out _offsets.RunAfter);
        }

        // A seqlock read: retry until the state word is idle and unchanged around the field reads.
        // Null for a job being purged, whose state word stays busy for good.
        public JobRecord? Snapshot()
        {
            var spin = default(SpinWait);
            while (true)
            {
                var state = Volatile.Read(ref State);
                if (state == PurgedState)
                {
                    return null;
                }

                if ((state & BusyBit) != 0)
                {
                    spin.SpinOnce();
                    continue;
                }

                var report = Report;
                var saved = Saved;
                var owner = Owner;
                var record = new JobRecord
                {
                    Id = Id,
                    TypeName = TypeName,
                    DisplayName = DisplayName,
                    Status = (JobStatus)(state & StatusMask),
                    Version = state >> VersionShift,
                    Parameters = Parameters,
                    LaunchedBy = LaunchedBy,
                    Priority = Priority,
                    ConcurrencyKey = ConcurrencyKey,
                    CreatedAt = CreatedAt,
                    RunAfter = RunAfter,
                    IdempotencyKey = IdempotencyKey,
                    IdempotentUntil = IdempotentUntil,
                    Timeout = Timeout,
                    StartedAt = StartedAt,
                    EndedAt = EndedAt,
                    Attempt = Attempt,
                    PreviousAttempts = PreviousAttempts,
                    Node = Node,
                    Claim = owner,
                    Progress = report.Progress,
                    Steps = report.Steps,
                    WarningCount = report.WarningCount,
                    Checkpoint = saved?.Checkpoint,
                    CheckpointReport = saved?.Report,
                    Error = Error,
                };

                // A full fence: the field reads above must not move past the re-check on weakly ordered processors.
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref State) == state)
                {
                    return record;
                }
            }
        }
    }
}
