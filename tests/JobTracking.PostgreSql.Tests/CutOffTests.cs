using System.Collections.Concurrent;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace JobTracking.PostgreSql.Tests;

/// <summary>Two instances on one PostgreSQL schema; one is cut off from the database (its calls fail, none is refused).</summary>
public sealed class CutOffTests
{
    [Fact]
    public async Task InstanceCutOffFromTheDatabase_ItsRunStopsBeforeTheOtherTakesTheJob_NoItemRunsOnBothAtOnce()
    {
        await using var schema = await PostgresServer.NewSchemaAsync();
        var effects = new SideEffects();
        await using var storeA = new CutOffStore(await PostgreSqlJobStores.OpenAsync(schema.ConnectionString, new PostgreSqlJobStoreOptions { Schema = schema.Name }, null, CancellationToken.None));
        await using var storeB = new CutOffStore(await PostgreSqlJobStores.OpenAsync(schema.ConnectionString, new PostgreSqlJobStoreOptions { Schema = schema.Name }, null, CancellationToken.None));
        using var hostA = BuildHost(storeA, effects, "a");
        await hostA.StartAsync();
        var id = await hostA.Services.GetRequiredService<IJobRunner>().StartAsync(nameof(ItemJob), new ItemParameters(300));
        await Wait.UntilAsync(() => effects.Items(id, "a").Count >= 3, "host a working on the job");
        using var hostB = BuildHost(storeB, effects, "b");
        await hostB.StartAsync();

        // The network between host a and the database drops: every call fails, as when its connections die.
        storeA.CutOff = true;
        await Wait.UntilAsync(() => effects.Items(id, "b").Count >= 1, "host b running the job", TimeSpan.FromSeconds(60));
        storeA.CutOff = false;
        var done = await hostB.Services.GetRequiredService<IJobRunner>().WaitForCompletionAsync(id).WaitAsync(TimeSpan.FromSeconds(90));

        done.Status.Should().Be(JobStatus.Completed);
        var log = effects.Log(id);
        var aLeft = log.FindLastIndex(e => e is { Host: "a", What: "left" });
        var bEntered = log.FindIndex(e => e is { Host: "b", What: "entered" });
        aLeft.Should().BeGreaterThanOrEqualTo(0, "host a's run stopped on its own while it was cut off");
        aLeft.Should().BeLessThan(bEntered, "host a's run had stopped before host b's began: no item ran on both at once");
        var fromB = effects.Items(id, "b");
        fromB[0].Should().BeGreaterThan(0, "host b resumed from host a's last stored checkpoint");
        effects.Items(id, "a").Concat(fromB).Distinct().Should().HaveCount(300);
        await hostB.StopAsync();
        await hostA.StopAsync();
    }

    private static IHost BuildHost(CutOffStore store, SideEffects effects, string node) => new HostBuilder()
        .ConfigureServices(services =>
        {
            services.AddSingleton(effects);
            services.AddSingleton(store);
            services.AddJobTracking(b => b
                .AddJob<ItemJob>()
                .UseStore(store)
                .Configure(o =>
                {
                    o.NodeName = node;
                    o.LeaseDuration = TimeSpan.FromSeconds(2);
                    o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
                    o.CheckpointInterval = TimeSpan.Zero;
                    o.PollInterval = TimeSpan.FromMilliseconds(200);
                    o.TransientRetryDelay = TimeSpan.FromMilliseconds(50);
                    o.TransientRetryMaxDelay = TimeSpan.FromMilliseconds(500);
                }));
        })
        .Build();

    /// <summary>A store decorator whose calls all fail with a transient error while <see cref="CutOff"/> is set.</summary>
    private sealed class CutOffStore(PostgreSqlJobStore inner) : DecoratingStore(inner), IAsyncDisposable
    {
        public volatile bool CutOff;

        public override JobStoreCapabilities Capabilities => inner.Capabilities;

        public override bool IsTransient(Exception exception) => exception is TimeoutException || base.IsTransient(exception);

        public override ValueTask<Guid> CreateAsync(JobRecord job, CancellationToken cancellationToken = default) => Check<Guid>() ?? base.CreateAsync(job, cancellationToken);

        public override ValueTask<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default) => Check<JobRecord?>() ?? base.GetAsync(jobId, cancellationToken);

        public override ValueTask<bool> TryTransitionAsync(JobTransition transition, CancellationToken cancellationToken = default) => Check<bool>() ?? base.TryTransitionAsync(transition, cancellationToken);

        public override ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken = default) => Check<IReadOnlyList<JobRecord>>() ?? base.ClaimAsync(request, cancellationToken);

        public override ValueTask<IReadOnlyCollection<Guid>> RenewLeasesAsync(JobLeaseRenewal renewal, CancellationToken cancellationToken = default) => Check<IReadOnlyCollection<Guid>>() ?? base.RenewLeasesAsync(renewal, cancellationToken);

        public override ValueTask<IReadOnlyList<JobReclaimed>> ReclaimAsync(JobReclaimRequest request, CancellationToken cancellationToken = default) => Check<IReadOnlyList<JobReclaimed>>() ?? base.ReclaimAsync(request, cancellationToken);

        public override ValueTask<bool> SaveProgressAsync(JobProgressUpdate update, CancellationToken cancellationToken = default) => Check<bool>() ?? base.SaveProgressAsync(update, cancellationToken);

        public override ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default) => Check<int>() ?? base.AppendJournalAsync(entries, cancellationToken);

        public override ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken cancellationToken = default) => Check<IReadOnlyList<JobCount>>() ?? base.CountAsync(cancellationToken);

        public override ValueTask<JobFeedRead> ReadFeedAsync(long afterSequence, Memory<JobChange> buffer, CancellationToken cancellationToken = default) => Check<JobFeedRead>() ?? base.ReadFeedAsync(afterSequence, buffer, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        private ValueTask? Check() => CutOff ? ValueTask.FromException(new TimeoutException("The database did not answer.")) : null;

        private ValueTask<T>? Check<T>() => CutOff ? ValueTask.FromException<T>(new TimeoutException("The database did not answer.")) : null;
    }
}

public sealed record ItemParameters(int Items);

/// <summary>What every run of <see cref="ItemJob"/> did, in one order across both hosts.</summary>
public sealed class SideEffects
{
    private readonly ConcurrentQueue<(Guid Job, string Host, string What, int Item)> _log = new();

    public void Add(Guid job, string host, string what, int item = -1) => _log.Enqueue((job, host, what, item));

    public List<(string Host, string What, int Item)> Log(Guid job) => [.. _log.Where(e => e.Job == job).Select(e => (e.Host, e.What, e.Item))];

    public List<int> Items(Guid job, string host) => [.. _log.Where(e => e.Job == job && e.Host == host && e.What == "item").Select(e => e.Item)];
}

/// <summary>Items of 20 ms, a checkpoint after each, honouring its token; every item and every entry and exit is recorded with the host's name.</summary>
public sealed class ItemJob(SideEffects effects, IOptions<JobTrackingOptions> options) : JobDefinition<ItemParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<ItemParameters> context)
    {
        var host = options.Value.NodeName;
        effects.Add(context.JobId, host, "entered");
        try
        {
            for (var item = context.GetCheckpoint<int>(); item < context.Parameters.Items; item++)
            {
                await Task.Delay(20, context.CancellationToken);
                effects.Add(context.JobId, host, "item", item);
                context.SetCheckpoint(item + 1);
                await context.SafePointAsync();
            }
        }
        finally
        {
            effects.Add(context.JobId, host, "left");
        }
    }
}
