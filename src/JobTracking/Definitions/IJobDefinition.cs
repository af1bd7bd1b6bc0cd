namespace JobTracking;

/// <summary>Describes a job type to the engine: its stable name, its parameter type and the name shown to people.</summary>
/// <remarks>Implement <see cref="IJobDefinition{TParameters}"/>, or derive from <see cref="JobDefinition{TParameters}"/>, which fills these in.</remarks>
public interface IJobDefinition
{
    /// <summary>Gets the stable name of the job type, stored with every job of this type; do not change it once jobs exist.</summary>
    string TypeName { get; }

    /// <summary>Gets the default display name of jobs of this type.</summary>
    string DisplayName { get; }

    /// <summary>Gets the type of the job's parameters.</summary>
    Type ParametersType { get; }
}

/// <summary>A job type with parameters of type <typeparamref name="TParameters"/>: what to check before a job is created, and what to run.</summary>
/// <typeparam name="TParameters">The parameters, serialized to JSON with the job.</typeparam>
public interface IJobDefinition<TParameters> : IJobDefinition
{
    /// <summary>Checks parameters before a job is created, beyond their data annotations.</summary>
    /// <param name="parameters">The parameters to check.</param>
    /// <returns>Each invalid field with the reason; empty when the parameters are valid.</returns>
    IEnumerable<JobParameterError> Validate(TParameters parameters) => [];

    /// <summary>Runs the job. Await <see cref="IJobContext.SafePointAsync"/> between units of work so pause and cancel take effect.</summary>
    /// <param name="context">The job's id, parameters, checkpoint, progress and control.</param>
    /// <returns>A task that completes when the job is done; an exception fails the job.</returns>
    ValueTask ExecuteAsync(IJobContext<TParameters> context);
}
