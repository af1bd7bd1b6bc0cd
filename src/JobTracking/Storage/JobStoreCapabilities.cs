namespace JobTracking.Storage;

/// <summary>What a store can do beyond the contract; the engine adapts to what it declares.</summary>
[Flags]
public enum JobStoreCapabilities
{
    /// <summary>Nothing beyond the contract: one process uses the store, so whatever it holds active at start-up was left by a process that is gone.</summary>
    None = 0,

    /// <summary>Several processes may use the store at once: idle instances look for queued jobs now and then, and only expired leases are reclaimed.</summary>
    SharedAcrossProcesses = 1,
}
