namespace JobTracking;

/// <summary>A convenient base for job types: the type name is the class name, the display name defaults to it.</summary>
/// <typeparam name="TParameters">The parameters, serialized to JSON with the job.</typeparam>
public abstract class JobDefinition<TParameters> : IJobDefinition<TParameters>
{
    /// <summary>Gets the stable type name. Default: the class name.</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>Gets the default display name. Default: <see cref="TypeName"/>.</summary>
    public virtual string DisplayName => TypeName;

    /// <summary>Gets <typeparamref name="TParameters"/>.</summary>
    public Type ParametersType => typeof(TParameters);

    /// <summary>Checks parameters before a job is created, beyond their data annotations. Default: no further check.</summary>
    /// <param name="parameters">The parameters to check.</param>
    /// <returns>Each invalid field with the reason; empty when the parameters are valid.</returns>
    public virtual IEnumerable<JobParameterError> Validate(TParameters parameters) => [];

    /// <summary>Runs the job. Await <see cref="IJobContext.SafePointAsync"/> between units of work so pause and cancel take effect.</summary>
    /// <param name="context">The job's id, parameters, checkpoint, progress and control.</param>
    /// <returns>A task that completes when the job is done; an exception fails the job.</returns>
    public abstract ValueTask ExecuteAsync(IJobContext<TParameters> context);
}
