using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Dashboard.Tests;

/// <summary>Jobs that wait for their time: scheduled for later, or retrying after a failure.</summary>
public sealed class WaitingJobsPageTests
{
    [Fact]
    public async Task DelayedJob_IsShownScheduledForItsTime_InTheTrackerAndOnItsPage()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters(), new JobStartOptions { Delay = TimeSpan.FromHours(3) });
        var runAfter = (await host.Runner.WaitForStatusAsync(id, [JobStatus.Queued])).RunAfter!.Value;

        var tracker = await host.Client().GetPageAsync("/jobs");
        var when = tracker.QuerySelector($"tr[data-job-id='{id}'] .jt-status .jt-when")!;
        when.TextContent.Should().StartWith("scheduled for");
        when.QuerySelector("time")!.GetAttribute("datetime").Should().Be(runAfter.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));

        var page = await host.Client().GetPageAsync($"/jobs/{id}");
        page.QuerySelectorAll("dt").Select(d => d.TextContent).Should().Contain("Scheduled for");
    }

    [Fact]
    public async Task RetryingJob_IsShownWithItsAttemptOfTheMostAndTheTimeOfTheNext()
    {
        await using var host = await DashboardTestHost.StartAsync(jobs: b => b.AddJob<FailJob>(o =>
        {
            o.MaxAttempts = 3;
            o.RetryDelay = TimeSpan.FromHours(1);
        }));
        var id = await host.Runner.Job<FailJob>().StartAsync(new FailParameters());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in host.Services.GetRequiredService<IJobEvents>().ReadAllAsync(new JobSubscriptionOptions { JobId = id, AfterSequence = 0 }, timeout.Token))
        {
            if (e.IsRetry)
            {
                break;
            }
        }

        var job = await host.Services.GetRequiredService<IJobTracker>().GetAsync(id);

        var tracker = await host.Client().GetPageAsync("/jobs");
        tracker.QuerySelector($"tr[data-job-id='{id}'] .jt-when")!.TextContent.Should().StartWith("retry: attempt 2 of 3 at");

        var page = await host.Client().GetPageAsync($"/jobs/{id}");
        var facts = page.QuerySelectorAll("dt").Select(d => d.TextContent).ToList();
        facts.Should().Contain("Next attempt at");
        page.QuerySelectorAll("dd")[facts.IndexOf("Attempt")].TextContent.Should().Be("2 of 3");
        job.Status.Should().Be(JobStatus.Queued);
    }
}
