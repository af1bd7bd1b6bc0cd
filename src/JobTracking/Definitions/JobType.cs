using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using JobTracking.Control;
using JobTracking.Ownership;
using JobTracking.Running;
using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Definitions;

/// <summary>What the engine knows of a registered job type, without generics at the call site.</summary>
internal abstract class JobType
{
    protected JobType(IJobDefinition descriptor, Type definitionType, JobTrackingOptions options, JobTypeOptions typeOptions, bool needsScope)
    {
        NeedsScope = needsScope;
        Options = typeOptions;
        TypeName = descriptor.TypeName;
        DisplayName = string.IsNullOrWhiteSpace(descriptor.DisplayName) ? descriptor.TypeName : descriptor.DisplayName;
        DefinitionType = definitionType;
        ConcurrencyLimit = options.JobTypeConcurrency.TryGetValue(TypeName, out var limit) ? limit : int.MaxValue;
        SerializerOptions = options.SerializerOptions;
    }

    public string TypeName { get; }

    public string DisplayName { get; }

    public Type DefinitionType { get; }

    /// <summary>Gets whether a run builds its definition in a scope of its own (see <see cref="ScopeNeed"/>); otherwise from the root provider, with the same result and no scope to create.</summary>
    public bool NeedsScope { get; }

    public int ConcurrencyLimit { get; }

    /// <summary>Gets the type's retry policy and timeout, configuration and code applied.</summary>
    public JobTypeOptions Options { get; }

    protected JsonSerializerOptions SerializerOptions { get; }

    /// <summary>Validates parameters and writes them as JSON; throws <see cref="JobParametersException"/> naming each bad field.</summary>
    public string SerializeParameters<T>(T parameters) =>
        TrySerializeParameters(parameters, out var errors) ?? throw new JobParametersException(TypeName, errors!);

    /// <summary>Validates parameters and writes them as JSON; <see langword="null"/>, with each bad field in <paramref name="errors"/>, when they are invalid.</summary>
    public abstract string? TrySerializeParameters<T>(T parameters, out List<JobParameterError>? errors);

    /// <summary>Reads the stored parameters and builds a context for one run.</summary>
    public abstract JobRun CreateRun(JobEngine engine, JobRecord job, JobLease lease, IServiceProvider services);
}

/// <summary>A registered job type with parameters of type <typeparamref name="TParameters"/>.</summary>
internal sealed class JobType<TParameters> : JobType
{
    private readonly IJobDefinition<TParameters> _descriptor;

    public JobType(IJobDefinition descriptor, Type definitionType, JobTrackingOptions options, JobTypeOptions typeOptions, bool needsScope)
        : base(descriptor, definitionType, options, typeOptions, needsScope)
    {
        _descriptor = (IJobDefinition<TParameters>)descriptor;
    }

    public override string? TrySerializeParameters<T>(T parameters, out List<JobParameterError>? errors)
    {
        errors = null;
        if (parameters is null)
        {
            errors = [new JobParameterError(string.Empty, $"Parameters of type {typeof(TParameters).Name} are required.")];
            return null;
        }

        if (parameters is not TParameters typed)
        {
            errors = [new JobParameterError(string.Empty, $"Parameters must be of type {typeof(TParameters).FullName}, not {parameters.GetType().FullName}.")];
            return null;
        }

        var results = HasAnnotations ? new List<ValidationResult>() : null;
        if (results is not null && !Validator.TryValidateObject(typed, new ValidationContext(typed), results, validateAllProperties: true))
        {
            errors = [];
            foreach (var result in results)
            {
                var field = result.MemberNames.FirstOrDefault() ?? string.Empty;
                errors.Add(new JobParameterError(field, result.ErrorMessage ?? "is invalid."));
            }
        }

        foreach (var error in _descriptor.Validate(typed) ?? [])
        {
            (errors ??= []).Add(error);
        }

        return errors is null ? JsonSerializer.Serialize(typed, SerializerOptions) : null;
    }

    public override JobRun CreateRun(JobEngine engine, JobRecord job, JobLease lease, IServiceProvider services)
    {
        TParameters parameters;
        try
        {
            parameters = JsonSerializer.Deserialize<TParameters>(job.Parameters, SerializerOptions)!;
        }
        catch (JsonException ex)
        {
            throw new JobTrackingException($"The stored parameters of job '{job.Id}' are not a valid {typeof(TParameters).Name}: {ex.Message}", ex);
        }

        var definition = (IJobDefinition<TParameters>)services.GetRequiredService(DefinitionType);
        return new JobRun<TParameters>(engine, job, lease, parameters, definition, SerializerOptions);
    }

    // Validation is skipped, not run for nothing, when the parameter type carries no data annotation at all.
    private static bool HasAnnotations { get; } =
        typeof(IValidatableObject).IsAssignableFrom(typeof(TParameters))
        || typeof(TParameters).IsDefined(typeof(ValidationAttribute), inherit: true)
        || typeof(TParameters).GetProperties().Any(p => p.IsDefined(typeof(ValidationAttribute), inherit: true));
}
