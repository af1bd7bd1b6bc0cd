using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Running;

/// <summary>The scope a run builds its job in, disposed once: when the job's code is done for good, or when the run ends.</summary>
internal sealed class RunScope(AsyncServiceScope scope) : IAsyncDisposable
{
    private int _disposed;

    public IServiceProvider Services => scope.ServiceProvider;

    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? scope.DisposeAsync() : ValueTask.CompletedTask;
}
