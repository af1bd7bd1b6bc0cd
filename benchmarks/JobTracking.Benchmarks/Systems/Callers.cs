namespace JobTracking.Benchmarks.Systems;

/// <summary>Splits a batch of jobs between concurrent callers, as the requests of a web application would start them.</summary>
public static class Callers
{
    /// <summary>
    /// Runs <paramref name="startShare"/> once per caller with that caller's share of <paramref name="jobs"/>;
    /// 1 caller runs it inline. Each caller is a thread-pool task, so an asynchronous API yields while it waits.
    /// </summary>
    public static Task RunAsync(int jobs, int callers, Func<int, Task> startShare)
    {
        if (callers <= 1)
        {
            return startShare(jobs);
        }

        var tasks = new Task[callers];
        for (var c = 0; c < callers; c++)
        {
            var share = Share(jobs, callers, c);
            tasks[c] = Task.Run(() => startShare(share));
        }

        return Task.WhenAll(tasks);
    }

    /// <summary>
    /// The same for a synchronous API (Hangfire's <c>Enqueue</c>): each caller gets a thread of its own, as each request
    /// of a web application blocks its own thread, so the callers are not held back by the thread pool's growth rate.
    /// </summary>
    public static Task RunBlocking(int jobs, int callers, Action<int> startShare)
    {
        if (callers <= 1)
        {
            startShare(jobs);
            return Task.CompletedTask;
        }

        var tasks = new Task[callers];
        for (var c = 0; c < callers; c++)
        {
            var share = Share(jobs, callers, c);
            tasks[c] = Task.Factory.StartNew(() => startShare(share), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        return Task.WhenAll(tasks);
    }

    private static int Share(int jobs, int callers, int caller) => (jobs / callers) + (caller < jobs % callers ? 1 : 0);
}
