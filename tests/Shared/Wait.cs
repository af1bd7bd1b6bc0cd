using System.Diagnostics;

namespace JobTracking.TestSupport;

/// <summary>
/// Waits for a condition that other threads make true (a worker, an event subscriber, a background task), looking
/// again every few milliseconds of real time, and fails the test with what it waited for when the time runs out.
/// </summary>
internal static class Wait
{
    /// <summary>Long enough for a slow, loaded machine; a passing test never waits this long.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(2);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var started = Stopwatch.GetTimestamp();
        while (!await condition())
        {
            if (Stopwatch.GetElapsedTime(started) > limit)
            {
                throw new TimeoutException($"Waited {limit.TotalSeconds:0.#} s for {what}, in vain.");
            }

            await Task.Delay(Interval);
        }
    }
}
