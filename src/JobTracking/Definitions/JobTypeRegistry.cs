using System.Collections.Frozen;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobTracking.Definitions;

/// <summary>A job type registered with <see cref="JobTrackingBuilder.AddJob{TDefinition}()"/>.</summary>
internal sealed record JobTypeRegistration(Type DefinitionType, Type ParametersType, Action<JobTypeOptions>? Configure = null);

/// <summary>The registered job types by stable name, built once when the container first needs it.</summary>
internal sealed class JobTypeRegistry : IDisposable
{
    private readonly FrozenDictionary<string, JobType> _types;
    private readonly FrozenDictionary<Type, JobType> _byDefinition;
    private readonly IServiceScope _descriptorScope;

    public JobTypeRegistry(IEnumerable<JobTypeRegistration> registrations, IServiceScopeFactory scopes, IOptions<JobTrackingOptions> options, IServiceProvider root, RegisteredServices? registered = null)
    {
        Root = root;
        // Definitions are resolved once here to read their names and run their validation; each execution gets its own from a fresh scope.
        _descriptorScope = scopes.CreateScope();
        var byName = new Dictionary<string, JobType>(StringComparer.Ordinal);
        var all = registrations.ToList();
        foreach (var registration in all.DistinctBy(r => r.DefinitionType))
        {
            var descriptor = (IJobDefinition)_descriptorScope.ServiceProvider.GetRequiredService(registration.DefinitionType);
            if (string.IsNullOrWhiteSpace(descriptor.TypeName))
            {
                throw new InvalidOperationException($"Job definition {registration.DefinitionType.FullName} has an empty TypeName.");
            }

            if (byName.TryGetValue(descriptor.TypeName, out var existing))
            {
                throw new InvalidOperationException(
                    $"Job type name '{descriptor.TypeName}' is used by both {existing.DefinitionType.FullName} and {registration.DefinitionType.FullName}; type names must be unique.");
            }

            var typeOptions = options.Value.JobTypes.TryGetValue(descriptor.TypeName, out var configured) ? configured : new JobTypeOptions();
            foreach (var configure in all.Where(r => r.DefinitionType == registration.DefinitionType && r.Configure is not null))
            {
                configure.Configure!(typeOptions);
            }

            JobTypeOptionsValidator.Check(descriptor.TypeName, typeOptions);
            var jobType = (JobType)Activator.CreateInstance(
                typeof(JobType<>).MakeGenericType(registration.ParametersType),
                descriptor,
                registration.DefinitionType,
                options.Value,
                typeOptions,
                registered is null || ScopeNeed.Of(registration.DefinitionType, registered.Services))!;
            byName.Add(descriptor.TypeName, jobType);
        }

        foreach (var typeName in options.Value.JobTypeConcurrency.Keys.Concat(options.Value.JobTypes.Keys))
        {
            if (!byName.ContainsKey(typeName))
            {
                throw new OptionsValidationException(
                    nameof(JobTrackingOptions),
                    typeof(JobTrackingOptions),
                    [$"JobTracking:{(options.Value.JobTypeConcurrency.ContainsKey(typeName) ? nameof(JobTrackingOptions.JobTypeConcurrency) : nameof(JobTrackingOptions.JobTypes))} names '{typeName}', which is not a registered job type."]);
            }
        }

        _types = byName.ToFrozenDictionary(StringComparer.Ordinal);
        _byDefinition = byName.Values.ToFrozenDictionary(t => t.DefinitionType);
    }

    /// <summary>Gets the root provider, which builds the definitions of the job types that need no scope.</summary>
    public IServiceProvider Root { get; }

    public IEnumerable<string> Names => _types.Keys;

    public IEnumerable<JobType> Types => _types.Values;

    public bool TryGet(string typeName, out JobType jobType) => _types.TryGetValue(typeName, out jobType!);

    public JobType Get(string typeName) =>
        _types.TryGetValue(typeName, out var jobType) ? jobType : throw new UnknownJobTypeException(typeName, _types.Keys);

    /// <summary>Gets the job type registered with <c>AddJob&lt;TDefinition&gt;()</c> for a definition class.</summary>
    public JobType Get(Type definitionType) =>
        _byDefinition.TryGetValue(definitionType, out var jobType)
            ? jobType
            : throw new UnknownJobTypeException(definitionType.FullName ?? definitionType.Name, _types.Keys);

    public void Dispose() => _descriptorScope.Dispose();
}
