namespace JobTracking;

/// <summary>A running step of a job, from <see cref="IJobContext.BeginStep"/>: count what it reads, writes and skips.</summary>
public interface IJobStep
{
    /// <summary>Gets the step's name.</summary>
    string Name { get; }

    /// <summary>Adds to the records read.</summary>
    /// <param name="count">How many, at least 0.</param>
    void AddRead(long count = 1);

    /// <summary>Adds to the records written.</summary>
    /// <param name="count">How many, at least 0.</param>
    void AddWritten(long count = 1);

    /// <summary>Adds to the records skipped.</summary>
    /// <param name="count">How many, at least 0.</param>
    void AddSkipped(long count = 1);

    /// <summary>Adds to the step's warnings (and the job's).</summary>
    /// <param name="count">How many, at least 0.</param>
    void AddWarning(long count = 1);

    /// <summary>Ends the step as Completed. A step still running when its job ends takes the job's outcome.</summary>
    void Complete();
}
