using JobTracking.Storage;

namespace JobTracking.Tests;

/// <summary>The in-memory store changes a job's entry in place: a reader must still see each job whole, as one change left it.</summary>
public sealed class InMemoryJobStoreSnapshotTests
{
    private static readonly DateTimeOffset A = new(2026, 12, 7, 10, 0, 0, TimeSpan.FromHours(2));
    private static readonly DateTimeOffset B = new(2026, 12, 7, 11, 0, 0, TimeSpan.FromHours(-5));

    [Fact]
    public async Task GetAsync_WhileTransitionsRewriteTheEntry_NeverSeesAHalfUpdatedRecord()
    {
        const int Cycles = 3_000;
        const int Readers = 2;
        var store = new InMemoryJobStore();
        var id = await store.CreateAsync(NewJobs.Queued(A));
        using var start = new Barrier(Readers + 1);
        var done = 0;

        var writer = Task.Run(async () =>
        {
            start.SignalAndWait();
            var version = 1L;
            for (var cycle = 0; cycle < Cycles; cycle++)
            {
                // Each cycle writes its times at another instant and offset, so half of one and half of another shows.
                var at = cycle % 2 == 0 ? A : B;
                await MoveAsync(JobStatus.Queued, JobStatus.Running, new JobTransition { JobId = id, FromStatus = JobStatus.Queued, ExpectedVersion = version, ToStatus = JobStatus.Running, At = at, Node = "n" });
                await MoveAsync(JobStatus.Running, JobStatus.Failed, new JobTransition { JobId = id, FromStatus = JobStatus.Running, ExpectedVersion = version, ToStatus = JobStatus.Failed, At = at, Error = new JobError { Type = "E", Message = "m" } });
                await MoveAsync(JobStatus.Failed, JobStatus.Queued, new JobTransition { JobId = id, FromStatus = JobStatus.Failed, ExpectedVersion = version, ToStatus = JobStatus.Queued, At = at, IsNewAttempt = true });
            }

            async Task MoveAsync(JobStatus from, JobStatus to, JobTransition transition)
            {
                (await store.TryTransitionAsync(transition)).Should().BeTrue($"the writer alone moves the job ({from} -> {to})");
                version++;
            }
        });

        var readers = Enumerable.Range(0, Readers).Select(_ => Task.Run(async () =>
        {
            start.SignalAndWait();
            var reads = 0;
            while (Volatile.Read(ref done) == 0)
            {
                var job = (await store.GetAsync(id))!;
                Check(job);
                reads++;
            }

            return reads;
        })).ToList();

        await writer.WaitAsync(TimeSpan.FromMinutes(2));
        Volatile.Write(ref done, 1);
        var counts = await Task.WhenAll(readers).WaitAsync(TimeSpan.FromMinutes(1));

        counts.Should().OnlyContain(c => c > 0);
        Check((await store.GetAsync(id))!);
    }

    private static void Check(JobRecord job)
    {
        var what = $"{job.Status} v{job.Version}, started {job.StartedAt:O}, ended {job.EndedAt:O}, attempt {job.Attempt} after {job.PreviousAttempts.Count}";
        job.Attempt.Should().Be(job.PreviousAttempts.Count + 1, what);
        switch (job.Status)
        {
            case JobStatus.Queued:
                job.StartedAt.Should().BeNull(what);
                job.EndedAt.Should().BeNull(what);
                job.Error.Should().BeNull(what);
                break;
            case JobStatus.Running:
                IsAOrB(job.StartedAt).Should().BeTrue(what);
                job.EndedAt.Should().BeNull(what);
                job.Node.Should().Be("n", what);
                break;
            case JobStatus.Failed:
                IsAOrB(job.EndedAt).Should().BeTrue(what);
                (job.StartedAt!.Value.UtcTicks, job.StartedAt.Value.Offset).Should().Be((job.EndedAt!.Value.UtcTicks, job.EndedAt.Value.Offset), what);
                job.Error.Should().NotBeNull(what);
                break;
            default:
                throw new InvalidOperationException(what);
        }
    }

    // The instant and the offset both, so a time made of one write's ticks and another's offset is caught.
    private static bool IsAOrB(DateTimeOffset? time) =>
        time is { } t && ((t.UtcTicks == A.UtcTicks && t.Offset == A.Offset) || (t.UtcTicks == B.UtcTicks && t.Offset == B.Offset));
}
