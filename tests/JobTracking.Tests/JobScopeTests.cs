using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobTracking.Tests;

/// <summary>A job definition gets a scope of its own when it takes scoped or disposable services, and the same result without one otherwise.</summary>
public sealed class JobScopeTests
{
    [Fact]
    public async Task Run_DefinitionTakesScopedService_OneInstancePerJobDisposedWhenItIsDone()
    {
        await RunTwoAsync<ScopedServiceJob>(s => s.AddScoped<Resource>(), OnePerJobAllDisposedAsync);
    }

    [Fact]
    public async Task Run_DefinitionTakesScopedServiceThroughTransient_OneInstancePerJobDisposedWhenItIsDone()
    {
        await RunTwoAsync<NestedScopedJob>(s => s.AddScoped<Resource>().AddTransient<Helper>(), OnePerJobAllDisposedAsync);
    }

    [Fact]
    public async Task Run_DefinitionTakesDisposableTransient_DisposedWhenItIsDone()
    {
        await RunTwoAsync<ScopedServiceJob>(s => s.AddTransient<Resource>(), OnePerJobAllDisposedAsync);
    }

    [Fact]
    public async Task Run_DefinitionTakesServiceProvider_ResolvesScopedServicesOfItsOwnScope()
    {
        await RunTwoAsync<ProviderJob>(s => s.AddScoped<Resource>(), OnePerJobAllDisposedAsync);
    }

    [Fact]
    public async Task Run_DisposableDefinitionTakingSingletons_NewDefinitionPerJobDisposedWhenItIsDone()
    {
        await RunTwoAsync<DisposableJob>(_ => { }, OnePerJobAllDisposedAsync);
    }

    [Fact]
    public async Task Run_DefinitionTakesSingletonsAndLogger_NewDefinitionPerJob()
    {
        await RunTwoAsync<SingletonJob>(_ => { }, resources =>
        {
            resources.Should().HaveCount(2).And.OnlyHaveUniqueItems("a transient definition is built anew for each run, scope or none");
            return Task.CompletedTask;
        });
    }

    // Runs two jobs one after the other, then checks what they saw while the host still runs (stopping it disposes everything).
    private static async Task RunTwoAsync<TJob>(Action<IServiceCollection> services, Func<List<Resource>, Task> check)
        where TJob : class, IJobDefinition
    {
        var seen = new Seen();
        await using var host = await TestHost.Create(configure: b =>
        {
            b.Services.AddSingleton(seen);
            services(b.Services);
            b.AddJob<TJob>();
        }).StartAsync();
        var typeName = typeof(TJob).Name;

        for (var i = 0; i < 2; i++)
        {
            var id = await host.Runner.StartAsync(typeName, new ScopeParameters());
            await host.WaitAsync(id, JobStatus.Completed);
        }

        await check([.. seen.Resources]);
    }

    // The scope is disposed as the job's final status is stored: wait for it rather than race it.
    private static Task OnePerJobAllDisposedAsync(List<Resource> resources)
    {
        resources.Should().HaveCount(2).And.OnlyHaveUniqueItems();
        return Task.WhenAll(resources.Select(r => r.Disposed.Task)).WaitAsync(TimeSpan.FromSeconds(10));
    }

    public sealed record ScopeParameters;

    public sealed class Seen
    {
        public ConcurrentQueue<Resource> Resources { get; } = new();
    }

    public class Resource : IDisposable
    {
        public TaskCompletionSource Disposed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsDisposed => Disposed.Task.IsCompleted;

        public void Dispose()
        {
            Disposed.TrySetResult();
            GC.SuppressFinalize(this);
        }
    }

    public sealed class Helper(Resource resource)
    {
        public Resource Resource { get; } = resource;
    }

    public sealed class ScopedServiceJob(Resource resource, Seen seen) : JobDefinition<ScopeParameters>
    {
        public override ValueTask ExecuteAsync(IJobContext<ScopeParameters> context)
        {
            resource.IsDisposed.Should().BeFalse("the job's services live until its code is done");
            seen.Resources.Enqueue(resource);
            return ValueTask.CompletedTask;
        }
    }

    public sealed class NestedScopedJob(Helper helper, Seen seen) : JobDefinition<ScopeParameters>
    {
        public override ValueTask ExecuteAsync(IJobContext<ScopeParameters> context)
        {
            seen.Resources.Enqueue(helper.Resource);
            return ValueTask.CompletedTask;
        }
    }

    public sealed class ProviderJob(IServiceProvider services, Seen seen) : JobDefinition<ScopeParameters>
    {
        public override ValueTask ExecuteAsync(IJobContext<ScopeParameters> context)
        {
            var resource = services.GetRequiredService<Resource>();
            services.GetRequiredService<Resource>().Should().BeSameAs(resource, "one scope per run");
            seen.Resources.Enqueue(resource);
            return ValueTask.CompletedTask;
        }
    }

    public sealed class DisposableJob(Seen seen) : JobDefinition<ScopeParameters>, IDisposable
    {
        private readonly Resource _self = new();

        public void Dispose() => _self.Dispose();

        public override ValueTask ExecuteAsync(IJobContext<ScopeParameters> context)
        {
            seen.Resources.Enqueue(_self);
            return ValueTask.CompletedTask;
        }
    }

    public sealed class SingletonJob(Seen seen, ILogger<SingletonJob> logger) : JobDefinition<ScopeParameters>
    {
        private readonly Resource _self = new();

        public override ValueTask ExecuteAsync(IJobContext<ScopeParameters> context)
        {
            logger.LogDebug("ran");
            seen.Resources.Enqueue(_self);
            return ValueTask.CompletedTask;
        }
    }
}
