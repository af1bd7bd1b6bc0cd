namespace JobTracking.Tests;

/// <summary>A claim is a value, copied with <c>with</c> as the other records of the store are.</summary>
public sealed class JobClaimTests
{
    [Fact]
    public void With_ChangesOneValue_AndEqualityIsByValue()
    {
        var claim = new JobClaim { InstanceId = "host-1", ClaimId = Guid.NewGuid(), LeaseExpiresAt = DateTimeOffset.UnixEpoch };

        var renewed = claim with { LeaseExpiresAt = DateTimeOffset.UnixEpoch.AddSeconds(10) };

        Assert.Equal(claim.ClaimId, renewed.ClaimId);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(10), renewed.LeaseExpiresAt);
        Assert.Equal(claim, renewed with { LeaseExpiresAt = DateTimeOffset.UnixEpoch });
        Assert.NotEqual(claim, renewed);
    }
}
