namespace JobTracking.Testing.Tests;

/// <summary>A store that breaks exactly one documented rule of the store contract, and the kit tests expected to catch it.</summary>
/// <param name="Name">The broken store's type name.</param>
/// <param name="Rule">The rule it breaks, as the contract states it.</param>
/// <param name="Create">Builds the store around a real in-memory store and the kit's clock.</param>
/// <param name="CaughtBy">The kit tests written for that rule: at least one of them must fail.</param>
internal sealed record BrokenStore(string Name, string Rule, Func<InMemoryJobStore, TimeProvider, IJobStore> Create, IReadOnlyList<string> CaughtBy)
{
    public static BrokenStore Of<TStore>(string rule, params string[] caughtBy)
        where TStore : DelegatingStore =>
        new(typeof(TStore).Name, rule, (inner, clock) => (TStore)Activator.CreateInstance(typeof(TStore), inner, clock)!, caughtBy);
}
