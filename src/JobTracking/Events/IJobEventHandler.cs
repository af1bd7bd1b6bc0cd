namespace JobTracking;

/// <summary>A handler of job events registered with <see cref="JobTrackingBuilder.AddEventHandler{THandler}"/>; resolved from a new DI scope for each event.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "Named after what it is: a handler of job events, registered with AddEventHandler.")]
public interface IJobEventHandler
{
    /// <summary>Handles one event. Events of one job arrive in transition order; an exception is logged and the handler stays subscribed.</summary>
    /// <param name="jobEvent">The event.</param>
    /// <param name="cancellationToken">Fires when the host stops.</param>
    /// <returns>A task that completes when the event is handled.</returns>
    ValueTask HandleAsync(JobEvent jobEvent, CancellationToken cancellationToken);
}
