namespace JobTracking.Tests;

public sealed class JobLifecycleTests
{
    // The table of DESIGN.md, written out independently of the implementation, with the two moves of time and repetition:
    // Queued -> Queued (run now, or a new time) and Running -> Queued (an automatic retry).
    private static readonly Dictionary<JobStatus, JobStatus[]> Expected = new()
    {
        [JobStatus.Editing] = [JobStatus.Queued, JobStatus.Cancelled],
        [JobStatus.Queued] = [JobStatus.Queued, JobStatus.Running, JobStatus.Paused, JobStatus.Cancelled],
        [JobStatus.Running] = [JobStatus.Queued, JobStatus.Pausing, JobStatus.Cancelling, JobStatus.ShuttingDown, JobStatus.Completed, JobStatus.Failed, JobStatus.Interrupted],
        [JobStatus.Pausing] = [JobStatus.Paused, JobStatus.Running, JobStatus.Cancelling, JobStatus.ShuttingDown, JobStatus.Completed, JobStatus.Failed, JobStatus.Interrupted],
        [JobStatus.Paused] = [JobStatus.Queued, JobStatus.Cancelled],
        [JobStatus.Cancelling] = [JobStatus.Cancelled, JobStatus.Completed, JobStatus.Failed],
        [JobStatus.ShuttingDown] = [JobStatus.Interrupted, JobStatus.Completed, JobStatus.Failed],
        [JobStatus.Interrupted] = [JobStatus.Queued, JobStatus.Cancelled],
        [JobStatus.Failed] = [JobStatus.Queued],
        [JobStatus.Completed] = [],
        [JobStatus.Cancelled] = [],
    };

    public static TheoryData<JobStatus, JobStatus> AllPairs()
    {
        var data = new TheoryData<JobStatus, JobStatus>();
        foreach (var from in Enum.GetValues<JobStatus>())
        {
            foreach (var to in Enum.GetValues<JobStatus>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void CanTransition_EveryPair_MatchesTheDesignTable(JobStatus from, JobStatus to)
    {
        JobLifecycle.CanTransition(from, to).Should().Be(Expected[from].Contains(to), $"{from} -> {to}");
    }

    [Fact]
    public void NextStatuses_TerminalStatuses_AreEmpty()
    {
        JobLifecycle.NextStatuses(JobStatus.Completed).Should().BeEmpty();
        JobLifecycle.NextStatuses(JobStatus.Cancelled).Should().BeEmpty();
        JobLifecycle.NextStatuses(JobStatus.Pausing).Should().BeEquivalentTo(Expected[JobStatus.Pausing]);
    }

    [Fact]
    public void CanTransition_UndefinedStatus_IsRefused()
    {
        JobLifecycle.CanTransition((JobStatus)42, JobStatus.Queued).Should().BeFalse();
        JobLifecycle.CanTransition(JobStatus.Queued, (JobStatus)(-1)).Should().BeFalse();
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public async Task TryTransitionAsync_EveryPair_AppliesLegalMovesAndRefusesIllegalOnes(JobStatus from, JobStatus to)
    {
        var store = TestHost.CreateMemoryStore();
        var job = await StoreHelper.CreateInStatusAsync(store, from);
        var transition = new JobTransition { JobId = job.Id, FromStatus = from, ExpectedVersion = job.Version, ToStatus = to, At = DateTimeOffset.UnixEpoch };

        if (Expected[from].Contains(to))
        {
            (await store.TryTransitionAsync(transition)).Should().BeTrue();
            var after = await store.GetAsync(job.Id);
            after!.Status.Should().Be(to);
            after.Version.Should().Be(job.Version + 1);
        }
        else
        {
            var act = async () => await store.TryTransitionAsync(transition);
            (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain($"{from} -> {to}");
            (await store.GetAsync(job.Id))!.Should().BeEquivalentTo(job);
        }
    }

    [Fact]
    public async Task TryTransitionAsync_StaleVersion_Loses()
    {
        var store = TestHost.CreateMemoryStore();
        var job = await StoreHelper.CreateInStatusAsync(store, JobStatus.Queued);
        var hold = new JobTransition { JobId = job.Id, FromStatus = JobStatus.Queued, ExpectedVersion = job.Version, ToStatus = JobStatus.Paused, At = DateTimeOffset.UnixEpoch };
        (await store.TryTransitionAsync(hold)).Should().BeTrue();
        (await store.TryTransitionAsync(hold with { FromStatus = JobStatus.Paused, ToStatus = JobStatus.Queued })).Should().BeFalse("the version moved on");
        (await store.GetAsync(job.Id))!.Status.Should().Be(JobStatus.Paused);
    }
}

internal static class StoreHelper
{
    // The shortest legal path from Queued to each status.
    private static readonly Dictionary<JobStatus, JobStatus[]> Paths = new()
    {
        [JobStatus.Editing] = [],
        [JobStatus.Queued] = [],
        [JobStatus.Running] = [JobStatus.Running],
        [JobStatus.Pausing] = [JobStatus.Running, JobStatus.Pausing],
        [JobStatus.Paused] = [JobStatus.Paused],
        [JobStatus.Cancelling] = [JobStatus.Running, JobStatus.Cancelling],
        [JobStatus.Cancelled] = [JobStatus.Cancelled],
        [JobStatus.Completed] = [JobStatus.Running, JobStatus.Completed],
        [JobStatus.Failed] = [JobStatus.Running, JobStatus.Failed],
        [JobStatus.ShuttingDown] = [JobStatus.Running, JobStatus.ShuttingDown],
        [JobStatus.Interrupted] = [JobStatus.Running, JobStatus.Interrupted],
    };

    public static async Task<JobRecord> CreateInStatusAsync(IJobStore store, JobStatus status, string typeName = nameof(StepJob))
    {
        var id = Guid.CreateVersion7();
        await store.CreateAsync(new JobRecord
        {
            Id = id,
            TypeName = typeName,
            DisplayName = "test",
            Status = status == JobStatus.Editing ? JobStatus.Editing : JobStatus.Queued,
            Version = 1,
            Parameters = "{\"steps\":1}",
            CreatedAt = DateTimeOffset.UnixEpoch,
        });

        var current = (await store.GetAsync(id))!;
        foreach (var next in Paths[status])
        {
            var ok = await store.TryTransitionAsync(new JobTransition
            {
                JobId = id, FromStatus = current.Status, ExpectedVersion = current.Version, ToStatus = next, At = DateTimeOffset.UnixEpoch, Node = "elsewhere",
            });
            ok.Should().BeTrue();
            current = (await store.GetAsync(id))!;
        }

        return current;
    }
}
