using System.Text.Json;

namespace JobTracking.Dashboard.Tests;

public sealed class ApiTests
{
    [Fact]
    public async Task List_PagesWithTheSameTokensAsThePages()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters(), new JobStartOptions { DisplayName = $"Job {i}", LaunchedBy = "api" }));
        }

        var client = host.Client();
        var first = JsonDocument.Parse(await client.GetStringAsync("/jobs/api/jobs?size=2&user=api")).RootElement;
        var token = first.GetProperty("nextPageToken").GetString()!;
        var second = JsonDocument.Parse(await client.GetStringAsync($"/jobs/api/jobs?size=2&user=api&after={Uri.EscapeDataString(token)}")).RootElement;

        first.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).Should().Equal(ids[2], ids[1]);
        second.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).Should().Equal(ids[0]);
        second.TryGetProperty("nextPageToken", out _).Should().BeFalse();
        first.GetProperty("items")[0].GetProperty("statusLabel").GetString().Should().BeOneOf("Queued", "Execution in progress", "Finished with warnings");
    }

    [Fact]
    public async Task CountsAndRejects_AnswerJson()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters());
        await host.WaitForAsync(id, JobStatus.Completed);
        var client = host.Client();

        var counts = JsonDocument.Parse(await client.GetStringAsync("/jobs/api/counts")).RootElement;
        var rejects = JsonDocument.Parse(await client.GetStringAsync($"/jobs/api/jobs/{id}/rejects?size=3")).RootElement;

        counts.GetProperty("statuses").EnumerateArray().Single(s => s.GetProperty("status").GetString() == "Completed").GetProperty("count").GetInt64().Should().Be(1);
        counts.GetProperty("byType").EnumerateArray().Single().GetProperty("typeName").GetString().Should().Be("JournalJob");
        rejects.GetProperty("items").GetArrayLength().Should().Be(3);
        rejects.GetProperty("items")[0].GetProperty("rawRecord").GetString().Should().Be(JournalJob.RejectScript);
        rejects.GetProperty("nextPageToken").GetString().Should().NotBeNull();
    }
}
