using Quartz;

namespace JobTracking.Benchmarks.Systems;

/// <summary>
/// Quartz.NET 4 with the in-memory store (RAMJobStore) and the default thread pool of 10, built with
/// <c>QuartzSchedulerBuilder</c> as its quick start shows for an application without a host (StdSchedulerFactory is
/// gone in 4.x). Each job is a one-off, as the "One-Off Job / Dynamic Registration" how-to shows: a job detail and a
/// trigger that starts now. MaxBatchSize stays automatic (1 for the in-memory store, which its docs say is faster
/// for a burst of one-offs).
/// </summary>
public sealed class QuartzSystem(int maxConcurrency = 10) : QuartzSystemBase(maxConcurrency, callers: 1)
{
    protected override void UseStore(IQuartzBuilder quartz) => quartz.UseInMemoryStore();
}

/// <summary>The Quartz job: signals and returns.</summary>
public sealed class QuartzNoOpJob : IJob
{
    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        Completion.Shared.Signal();
        return ValueTask.CompletedTask;
    }
}
