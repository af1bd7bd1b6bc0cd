using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Definitions;

/// <summary>The service collection the container was built from, read when the job types are (see <see cref="ScopeNeed"/>).</summary>
internal sealed class RegisteredServices(IServiceCollection services)
{
    public IServiceCollection Services { get; } = services;
}
