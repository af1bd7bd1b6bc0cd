namespace JobTracking.PostgreSql.Storage;

/// <summary>A job row a claim or a reclaim could not read (it was edited by hand): its id, the status and version it has now, and the error that names what is wrong.</summary>
internal sealed record UnreadableJob(Guid Id, int Status, long Version, JobTrackingException Error);
