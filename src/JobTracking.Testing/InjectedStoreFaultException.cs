namespace JobTracking.Testing;

/// <summary>The error <see cref="FaultInjectingJobStore"/> throws in place of a store's own.</summary>
public sealed class InjectedStoreFaultException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="isTransient">Whether the store calls it transient.</param>
    public InjectedStoreFaultException(string message, bool isTransient)
        : base(message)
    {
        IsTransient = isTransient;
    }

    /// <summary>Creates a transient error.</summary>
    public InjectedStoreFaultException()
        : this("A store call failed (injected).", isTransient: true)
    {
    }

    /// <summary>Creates a transient error.</summary>
    /// <param name="message">What failed.</param>
    public InjectedStoreFaultException(string message)
        : this(message, isTransient: true)
    {
    }

    /// <summary>Creates a transient error wrapping another.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public InjectedStoreFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
        IsTransient = true;
    }

    /// <summary>Gets whether the store calls this error transient.</summary>
    public bool IsTransient { get; }
}
