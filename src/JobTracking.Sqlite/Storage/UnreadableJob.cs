namespace JobTracking.Sqlite.Storage;

/// <summary>A job row a claim or a reclaim could not read (it was edited by hand): its id, the status it has now (null when that is not even an integer), and the error that names what is wrong.</summary>
internal sealed record UnreadableJob(Guid Id, long? Status, JobTrackingException Error);
