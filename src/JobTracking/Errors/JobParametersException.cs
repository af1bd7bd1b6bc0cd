namespace JobTracking;

/// <summary>Thrown when a job's parameters are missing or invalid; no job was created.</summary>
public sealed class JobParametersException : ArgumentException
{
    /// <summary>Creates the exception from the errors found.</summary>
    /// <param name="typeName">The job type whose parameters were checked.</param>
    /// <param name="errors">Each invalid field with the reason.</param>
    public JobParametersException(string typeName, IReadOnlyList<JobParameterError> errors)
        : base(BuildMessage(typeName, errors), "parameters")
    {
        TypeName = typeName;
        Errors = errors;
    }

    // A batch's errors, with a message written by the caller that names each bad item.
    internal JobParametersException(string typeName, IReadOnlyList<JobParameterError> errors, string message)
        : base(message, "parameters")
    {
        TypeName = typeName;
        Errors = errors;
    }

    /// <summary>Gets the job type whose parameters were checked.</summary>
    public string TypeName { get; }

    /// <summary>Gets each invalid field with the reason.</summary>
    public IReadOnlyList<JobParameterError> Errors { get; }

    private static string BuildMessage(string typeName, IReadOnlyList<JobParameterError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var details = string.Join("; ", errors.Select(e => e.Field.Length == 0 ? e.Message : $"{e.Field}: {e.Message}"));
        return $"Invalid parameters for job type '{typeName}': {details}";
    }
}

/// <summary>One invalid parameter field and why it is invalid.</summary>
/// <param name="Field">The field's name, or an empty string for the parameters as a whole.</param>
/// <param name="Message">Why the value is not accepted.</param>
public sealed record JobParameterError(string Field, string Message);
