using JobTracking.Storage;
using Xunit;

namespace JobTracking.Testing;

/// <summary>The kit's tests of <see cref="IJobInstanceStore"/>: a store that does not implement it lists no instances, and these tests say so and are skipped.</summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>A first heartbeat stores the instance with every field exactly (text with NUL and any Unicode character) and both times the store's now; a later one replaces the fields and the heartbeat time and keeps the start; the list is ordered by id, ordinally, and tells the store's now.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Instances_Heartbeat_UpsertsByTheStoreClock_KeepingTheStart()
    {
        await using var lease = await LeaseAsync();
        var instances = Instances(lease);
        var first = NewHeartbeat("node-b:42:ab") with { Node = "  Nœud « 製品 » \0 ", Version = "2.1.0-beta.3", MaxConcurrency = 17, RunningJobs = 3 };

        await instances.RecordHeartbeatAsync(first);
        await instances.RecordHeartbeatAsync(NewHeartbeat("node-a:7:cd"));
        lease.Clock.Advance(TimeSpan.FromSeconds(5.000_001));
        await instances.RecordHeartbeatAsync(first with { Node = "renamed", RunningJobs = 0 });
        lease.Clock.Advance(TimeSpan.FromSeconds(2));

        var list = await instances.GetInstancesAsync();
        Assert.Equal(T0.AddSeconds(7.000_001), list.Now);
        Assert.Equal(["node-a:7:cd", "node-b:42:ab"], list.Instances.Select(i => i.InstanceId));
        var a = list.Instances[0];
        Assert.Equal((T0, T0), (a.StartedAt, a.HeartbeatAt));
        var b = list.Instances[1];
        Assert.Equal(
            ("renamed", "2.1.0-beta.3", 17, 0, T0, T0.AddSeconds(5.000_001)),
            (b.Node, b.Version, b.MaxConcurrency, b.RunningJobs, b.StartedAt, b.HeartbeatAt));

        await instances.RecordHeartbeatAsync(first);
        Assert.Equal(first.Node, (await instances.GetInstancesAsync()).Instances[1].Node);
    }

    /// <summary>Removing an instance forgets it alone, once; an instance forgotten and heard from again starts anew.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Instances_Remove_ForgetsOnlyThatInstance()
    {
        await using var lease = await LeaseAsync();
        var instances = Instances(lease);
        await instances.RecordHeartbeatAsync(NewHeartbeat("a"));
        await instances.RecordHeartbeatAsync(NewHeartbeat("b"));

        Assert.True(await instances.RemoveInstanceAsync("a"));
        Assert.False(await instances.RemoveInstanceAsync("a"));
        Assert.False(await instances.RemoveInstanceAsync("missing"));
        Assert.Equal(["b"], (await instances.GetInstancesAsync()).Instances.Select(i => i.InstanceId));

        lease.Clock.Advance(TimeSpan.FromMinutes(1));
        await instances.RecordHeartbeatAsync(NewHeartbeat("a"));
        Assert.Equal(T0.AddMinutes(1), (await instances.GetInstancesAsync()).Instances[0].StartedAt);
    }

    /// <summary>A purge forgets, by the store's clock, the instances silent for strictly longer than the bound, and keeps one silent for exactly that long.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Instances_Purge_ForgetsOnlyThoseSilentLongerThanTheBound()
    {
        await using var lease = await LeaseAsync();
        var instances = Instances(lease);
        await instances.RecordHeartbeatAsync(NewHeartbeat("old"));
        lease.Clock.Advance(TimeSpan.FromSeconds(10));
        await instances.RecordHeartbeatAsync(NewHeartbeat("boundary"));
        lease.Clock.Advance(TimeSpan.FromSeconds(10));
        await instances.RecordHeartbeatAsync(NewHeartbeat("live"));
        lease.Clock.Advance(TimeSpan.FromSeconds(20));

        Assert.Equal(1, await instances.PurgeInstancesAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(["boundary", "live"], (await instances.GetInstancesAsync()).Instances.Select(i => i.InstanceId));
        Assert.Equal(0, await instances.PurgeInstancesAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, await instances.PurgeInstancesAsync(TimeSpan.FromSeconds(29)));
        Assert.Equal(["live"], (await instances.GetInstancesAsync()).Instances.Select(i => i.InstanceId));
    }

    /// <summary>Heartbeats of one instance racing (released together) leave one row: the upsert is atomic.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Instances_RacingHeartbeatsReleasedTogether_KeepOneRowPerInstance()
    {
        await using var lease = await LeaseAsync();
        var instances = Instances(lease);
        using var pool = new PoolGrowth(8);
        for (var round = 0; round < RaceRounds; round++)
        {
            var id = $"race-{round}";
            await RaceAsync(8, async i =>
            {
                await instances.RecordHeartbeatAsync(NewHeartbeat(id) with { RunningJobs = i });
                return i;
            });
        }

        var list = await instances.GetInstancesAsync();
        Assert.Equal(RaceRounds, list.Instances.Count);
        Assert.Equal(RaceRounds, list.Instances.Select(i => i.InstanceId).Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>An invalid heartbeat or purge bound throws an <see cref="ArgumentException"/> and stores nothing.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Instances_BadArguments_AreRefused()
    {
        await using var lease = await LeaseAsync();
        var instances = Instances(lease);

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await instances.RecordHeartbeatAsync(NewHeartbeat("")));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await instances.RecordHeartbeatAsync(NewHeartbeat("a") with { MaxConcurrency = 0 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await instances.RecordHeartbeatAsync(NewHeartbeat("a") with { RunningJobs = -1 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await instances.PurgeInstancesAsync(TimeSpan.Zero));
        Assert.Empty((await instances.GetInstancesAsync()).Instances);
    }

    private static IJobInstanceStore Instances(StoreLease lease)
    {
        if (lease.Store is not IJobInstanceStore instances)
        {
            Assert.Skip($"{lease.Store.GetType().Name} lists no instances (it does not implement IJobInstanceStore, an optional contract), so there is nothing to check.");
            throw new InvalidOperationException("Assert.Skip returned.");
        }

        return instances;
    }

    private static JobInstanceHeartbeat NewHeartbeat(string id) => new()
    {
        InstanceId = id,
        Node = "node",
        Version = "1.0.0",
        MaxConcurrency = 4,
        RunningJobs = 0,
    };
}
