namespace JobTracking.Testing.Tests;

/// <summary>Copies of the requests and journal entries a store is handed, with one value changed.</summary>
internal static class Requests
{
    public static JobClaimRequest With(
        JobClaimRequest request,
        int? maxCount = null,
        IReadOnlyDictionary<string, int>? typeLimits = null,
        TimeSpan? leaseDuration = null,
        string? instanceId = null,
        string? node = null) => new()
        {
            InstanceId = instanceId ?? request.InstanceId,
            Node = node ?? request.Node,
            MaxCount = maxCount ?? request.MaxCount,
            At = request.At,
            LeaseDuration = leaseDuration ?? request.LeaseDuration,
            TypeLimits = typeLimits ?? request.TypeLimits,
        };

    public static JobReclaimRequest With(JobReclaimRequest request, string? instanceId = null, int? maxCount = null, bool? includeLiveLeases = null, bool? resume = null) => new()
    {
        InstanceId = instanceId ?? request.InstanceId,
        At = request.At,
        MaxCount = maxCount ?? request.MaxCount,
        IncludeLiveLeases = includeLiveLeases ?? request.IncludeLiveLeases,
        Resume = resume ?? request.Resume,
    };

    public static JobJournalEntry With(JobJournalEntry entry, Func<string, string>? text = null, bool dropClaim = false, bool dropReason = false) => new()
    {
        JobId = entry.JobId,
        ClaimId = dropClaim ? null : entry.ClaimId,
        Kind = entry.Kind,
        At = entry.At,
        Level = entry.Level,
        Text = text is null ? entry.Text : text(entry.Text),
        RecordNumber = entry.RecordNumber,
        Reason = dropReason ? null : entry.Reason is { } reason && text is not null ? text(reason) : entry.Reason,
    };
}
