namespace JobTracking.TestSupport;

/// <summary>
/// For a test whose set-up needs something this machine may lack: without it the test is skipped and says what is
/// missing. Under CI (<c>CI=true</c>) it fails instead, so that a CI machine cannot quietly stop running the test.
/// </summary>
internal static class Requires
{
    public static void That(bool available, string whatIsMissing)
    {
        if (available)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"{whatIsMissing} With CI=true a test that cannot run fails instead of being skipped.");
        }

        Assert.Skip(whatIsMissing);
    }
}
