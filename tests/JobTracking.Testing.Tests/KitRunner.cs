using System.Reflection;

namespace JobTracking.Testing.Tests;

/// <summary>One kit test that failed against a store, and why.</summary>
/// <param name="Test">The kit test's name.</param>
/// <param name="Error">The exception it ended with.</param>
internal sealed record KitFailure(string Test, Exception Error)
{
    public override string ToString() => $"{Test}: {Error.GetType().Name}: {FirstLine(Error.Message)}";

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd();
}

/// <summary>Runs every test of the conformance kit against a store, outside xunit's own discovery, and collects the failures.</summary>
internal static class KitRunner
{
    // A kit test that hangs against a broken store (a claim loop that never ends) counts as failed after this long.
    private static readonly TimeSpan PerTestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Gets the kit's tests: the public methods of <see cref="JobStoreConformanceTests"/> marked [Fact].</summary>
    public static IReadOnlyList<MethodInfo> Tests { get; } =
    [
        .. typeof(JobStoreConformanceTests)
            .GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<FactAttribute>() is not null)
            .OrderBy(m => m.Name, StringComparer.Ordinal),
    ];

    /// <summary>Runs the whole kit; each test gets a fresh store built around a fresh in-memory store on the kit's clock.</summary>
    /// <param name="build">Builds the store under test around the real store and the clock.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The kit tests that failed, in name order; empty when the store passed them all.</returns>
    public static async Task<IReadOnlyList<KitFailure>> RunAsync(Func<InMemoryJobStore, TimeProvider, IJobStore> build, CancellationToken cancellationToken)
    {
        var failures = new List<KitFailure>();
        foreach (var test in Tests)
        {
            var kit = new KitAgainst(build);
            try
            {
                var run = (Task)test.Invoke(kit, null)!;
                await run.WaitAsync(PerTestTimeout, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (IsSkip(e) || (e is TargetInvocationException { InnerException: { } inner } && IsSkip(inner)))
            {
                // A kit test that does not apply to this store (a second instance of a store one process uses) is no failure.
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                failures.Add(new KitFailure(test.Name, e.InnerException));
            }
            catch (Exception e)
            {
                failures.Add(new KitFailure(test.Name, e));
            }
        }

        return failures;
    }

    private static bool IsSkip(Exception e) => e.GetType().Name == "SkipException";

    /// <summary>
    /// The kit bound to one store factory. Internal, and built only here: xunit discovers public classes, so the kit's
    /// inherited tests never run against a broken store as tests of this project.
    /// </summary>
    private sealed class KitAgainst(Func<InMemoryJobStore, TimeProvider, IJobStore> build) : JobStoreConformanceTests
    {
        protected override ValueTask<IJobStore> CreateStoreAsync(TimeProvider clock) => new(build(new InMemoryJobStore(clock), clock));
    }
}
