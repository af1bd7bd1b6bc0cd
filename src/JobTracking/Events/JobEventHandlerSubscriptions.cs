using JobTracking.Feed;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Events;

/// <summary>A handler class registered with <see cref="JobTrackingBuilder.AddEventHandler{THandler}"/>.</summary>
internal sealed record JobEventHandlerRegistration(Type HandlerType, JobSubscriptionOptions? Options);

/// <summary>Subscribes the DI-registered handlers while the host runs: one subscription each, a scope per event.</summary>
internal sealed class JobEventHandlerSubscriptions : IDisposable
{
    private readonly JobEventHub _hub;
    private readonly IServiceScopeFactory _scopes;
    private readonly IEnumerable<JobEventHandlerRegistration> _registrations;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<IJobSubscription> _subscriptions = [];

    public JobEventHandlerSubscriptions(JobEventHub hub, IServiceScopeFactory scopes, IEnumerable<JobEventHandlerRegistration> registrations)
    {
        _hub = hub;
        _scopes = scopes;
        _registrations = registrations;
    }

    public void Start()
    {
        var token = _stopping.Token;
        foreach (var registration in _registrations)
        {
            var handlerType = registration.HandlerType;
            _subscriptions.Add(_hub.Subscribe(
                async e =>
                {
                    var scope = _scopes.CreateAsyncScope();
                    await using (scope.ConfigureAwait(false))
                    {
                        var handler = (IJobEventHandler)scope.ServiceProvider.GetRequiredService(handlerType);
                        await handler.HandleAsync(e, token).ConfigureAwait(false);
                    }
                },
                registration.Options));
        }
    }

    /// <summary>Unsubscribes the handlers; events already buffered are still handled, with a cancelled token.</summary>
    public void Stop()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        _subscriptions.Clear();
        _stopping.Cancel();
    }

    public void Dispose()
    {
        Stop();
        _stopping.Dispose();
    }
}
