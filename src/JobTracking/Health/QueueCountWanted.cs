namespace JobTracking.Health;

/// <summary>Registered with the scheduler's health check, which judges a stuck queue by the queued jobs the heartbeats count: with it, every heartbeat counts them.</summary>
internal sealed class QueueCountWanted;
