namespace JobTracking.Testing.Tests;

/// <summary>The conformance kit against stores that each break one rule: the kit must fail every one of them.</summary>
public sealed class ConformanceKitTests(ITestOutputHelper output)
{
    public static TheoryData<string> BrokenStoreNames { get; } = [.. BrokenStores.All.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(BrokenStoreNames))]
    public async Task Kit_AgainstAStoreBreakingOneRule_Fails(string store)
    {
        var broken = BrokenStores.Find(store);

        var failures = await KitRunner.RunAsync(broken.Create, TestContext.Current.CancellationToken);

        output.WriteLine($"{store} breaks: {broken.Rule}");
        output.WriteLine(failures.Count == 0 ? "No kit test failed." : $"Caught by {failures.Count} kit test(s):");
        foreach (var failure in failures)
        {
            output.WriteLine($"  {failure}");
        }

        failures.Should().NotBeEmpty("{0} breaks one rule ({1}), yet every kit test passed", store, broken.Rule);
        failures.Select(f => f.Test).Should().IntersectWith(
            broken.CaughtBy,
            "the kit test written for that rule ({0}) must catch {1}, not only others; caught by {2}",
            string.Join(", ", broken.CaughtBy),
            store,
            string.Join(", ", failures.Select(f => f.Test)));
    }

    [Fact]
    public async Task Kit_AgainstTheUnbrokenDelegatingStore_Passes()
    {
        var failures = await KitRunner.RunAsync((inner, clock) => new UnbrokenStore(inner, clock), TestContext.Current.CancellationToken);

        KitRunner.Tests.Should().HaveCountGreaterThan(30, "the runner finds the kit's tests");
        failures.Should().BeEmpty("the delegating store breaks no rule, so the runner must report no failure");
    }

    [Fact]
    public async Task Kit_AgainstAnUnbrokenStoreKeepingSchedules_Passes()
    {
        var failures = await KitRunner.RunAsync((inner, clock) => new UnbrokenScheduleStore(inner, clock), TestContext.Current.CancellationToken);

        failures.Should().BeEmpty("the schedule-keeping store breaks no rule, so its schedule tests must pass");
    }

    [Fact]
    public async Task Kit_AgainstAnUnbrokenStoreListingInstances_Passes()
    {
        var failures = await KitRunner.RunAsync((inner, clock) => new UnbrokenInstanceStore(inner, clock), TestContext.Current.CancellationToken);

        failures.Should().BeEmpty("the instance-listing store breaks no rule, so its instance tests must pass");
    }

    [Fact]
    public void BrokenStores_EveryOneRegisteredOnce_AtLeastForty()
    {
        var declared = typeof(DelegatingStore).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(DelegatingStore)) && !t.IsAbstract && t != typeof(UnbrokenStore) && t != typeof(UnbrokenScheduleStore) && t != typeof(UnbrokenInstanceStore))
            .Select(t => t.Name);

        BrokenStores.All.Select(s => s.Name).Should().OnlyHaveUniqueItems().And.BeEquivalentTo(declared);
        BrokenStores.All.Should().HaveCountGreaterThanOrEqualTo(40);
        BrokenStores.All.Should().OnlyContain(s => s.CaughtBy.Count > 0);
    }

    /// <summary>The delegating store with nothing overridden.</summary>
    private sealed class UnbrokenStore(InMemoryJobStore inner, TimeProvider clock) : DelegatingStore(inner, clock);
}
