using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Definitions;

/// <summary>
/// Tells whether a job definition can be built from the root provider with exactly what a scope of its own would give
/// it: the definition and everything it is built from are singletons, or transients that are not disposable, built
/// by type from such services. Anything else (a scoped service, a disposable transient, a factory, the service
/// provider itself, a keyed, open-generic-only or unregistered dependency, several constructors to choose from) needs
/// the run's scope, which then holds one of each scoped service per run and disposes them when the run is done.
/// </summary>
/// <remarks>The service collection is read as it is when the host starts: a registration changed after the container
/// was built is not seen by the container, and should not be made.</remarks>
internal static class ScopeNeed
{
    private const int MaxDepth = 32;

    public static bool Of(Type definitionType, IServiceCollection services) => !IsRootSafe(definitionType, services, new HashSet<Type>(), 0);

    private static bool IsRootSafe(Type serviceType, IServiceCollection services, HashSet<Type> visiting, int depth)
    {
        if (depth > MaxDepth)
        {
            return false;
        }

        var descriptor = Last(services, serviceType);
        if (descriptor is null && serviceType.IsConstructedGenericType)
        {
            // ILogger<T>, IOptions<T>: an open registration answers a closed request that has none of its own.
            descriptor = Last(services, serviceType.GetGenericTypeDefinition());
            if (descriptor is { Lifetime: ServiceLifetime.Transient, ImplementationType: { IsGenericTypeDefinition: true } open })
            {
                return TryClose(open, serviceType.GenericTypeArguments) is { } closed && IsRootSafeType(closed, services, visiting, depth);
            }
        }

        switch (descriptor?.Lifetime)
        {
            case ServiceLifetime.Singleton:
                return true; // the same instance from the root and from any scope
            case ServiceLifetime.Transient when descriptor.ImplementationType is { } implementation:
                return IsRootSafeType(implementation, services, visiting, depth);
            default:
                return false; // unregistered, scoped, or built by a factory that may resolve scoped services
        }
    }

    private static Type? TryClose(Type open, Type[] arguments)
    {
        try
        {
            return open.MakeGenericType(arguments);
        }
        catch (ArgumentException)
        {
            return null; // a constraint the arguments break: the container would not use it either
        }
    }

    private static bool IsRootSafeType(Type implementation, IServiceCollection services, HashSet<Type> visiting, int depth)
    {
        // The root keeps every disposable transient it builds until it is disposed; a scope disposes it with the run.
        if (implementation.IsAbstract || implementation.ContainsGenericParameters
            || typeof(IDisposable).IsAssignableFrom(implementation) || typeof(IAsyncDisposable).IsAssignableFrom(implementation)
            || !visiting.Add(implementation))
        {
            return false;
        }

        try
        {
            var constructors = implementation.GetConstructors(BindingFlags.Public | BindingFlags.Instance);
            return constructors.Length == 1 && constructors[0].GetParameters().All(p =>
                !p.IsDefined(typeof(FromKeyedServicesAttribute), inherit: true)
                && !p.IsDefined(typeof(ServiceKeyAttribute), inherit: true)
                && !p.ParameterType.IsByRef
                && IsRootSafe(p.ParameterType, services, visiting, depth + 1));
        }
        finally
        {
            visiting.Remove(implementation);
        }
    }

    // The container resolves the last registration of a type; keyed registrations never answer an unkeyed request.
    private static ServiceDescriptor? Last(IServiceCollection services, Type serviceType)
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            var descriptor = services[i];
            if (!descriptor.IsKeyedService && descriptor.ServiceType == serviceType)
            {
                return descriptor;
            }
        }

        return null;
    }
}
