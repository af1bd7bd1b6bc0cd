using JobTracking.TestSupport;

namespace JobTracking.Tests;

public sealed class FeedPropertyTests
{
    [Fact]
    public Task RandomCommandsFromSeveralThreads_EventsFormLegalGaplessPaths_InMemory() =>
        FeedProperty.CheckAsync(() => TestHost.Create(o => o.MaxConcurrency = 4, configure: FeedProperty.AddJob).Host, samples: 12);
}
