using System.Globalization;
using System.Text.RegularExpressions;

namespace JobTracking.Dashboard.Tests;

/// <summary>Accessibility: status text readable (each status's text colour has at least the 4.5:1 contrast WCAG AA asks for, on the white card), a skip link, named progress bars.</summary>
public sealed class AccessibilityTests
{
    [Fact]
    public async Task EveryStatusText_HasAtLeastAaContrastOnTheCard()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var page = await host.Client().GetPageAsync("/jobs");
        var css = await host.Client().GetStringAsync(page.QuerySelector("link[rel=stylesheet]")!.GetAttribute("href")!);
        css.Should().Contain("--jt-card: #fff;", "the tables and facts sit on a white card");
        var card = Color("#ffffff");

        foreach (var status in Enum.GetNames<JobStatus>().Select(s => s.ToLowerInvariant()).Append("warnings"))
        {
            // The badge's text takes the status's text colour; the dot may stay lighter.
            css.Should().Contain($".jt-s-{status} {{ --jt-c: var(--jt-{status}); --jt-t: var(--jt-{status}-text); }}");
            var ratio = Contrast(Color(Variable(css, $"jt-{status}-text")), card);
            ratio.Should().BeGreaterThanOrEqualTo(4.5, $"the {status} text must be readable (it is {ratio:0.00}:1)");
        }

        css.Should().Contain(".jt-badge { color: var(--jt-t, inherit); }");
    }

    [Fact]
    public async Task Pages_StartWithASkipLinkToTheContent_AndNameEveryProgressBar()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var id = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters(), new JobStartOptions { DisplayName = "Nightly <import>" });
        await host.WaitForAsync(id, JobStatus.Completed);

        foreach (var url in new[] { "/jobs", $"/jobs/{id}", "/jobs/schedules" })
        {
            var page = await host.Client().GetPageAsync(url);
            var first = page.Body!.QuerySelector("a, button, input, select")!;
            first.ClassName.Should().Be("jt-skip", $"the first thing to tab to on {url} skips the header");
            first.GetAttribute("href").Should().Be("#jt-main");
            page.GetElementById("jt-main").Should().NotBeNull();
            var bars = page.QuerySelectorAll("progress").Select(p => p.GetAttribute("aria-label")).ToList();
            bars.Should().AllBe("Progress of Nightly <import>", $"every progress bar on {url} is named for its job");
            (bars.Count > 0 || url.EndsWith("schedules", StringComparison.Ordinal)).Should().BeTrue($"{url} shows the job's progress");
        }
    }

    private static string Variable(string css, string name)
    {
        var match = Regex.Match(css, $@"--{Regex.Escape(name)}:\s*(#[0-9a-fA-F]{{6}})");
        match.Success.Should().BeTrue($"the stylesheet declares --{name}");
        return match.Groups[1].Value;
    }

    private static (double R, double G, double B) Color(string hex) =>
        (Channel(hex, 1), Channel(hex, 3), Channel(hex, 5));

    private static double Channel(string hex, int at)
    {
        var c = int.Parse(hex.AsSpan(at, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 255.0;
        return c <= 0.03928 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
    }

    private static double Contrast((double R, double G, double B) a, (double R, double G, double B) b)
    {
        static double Luminance((double R, double G, double B) c) => (0.2126 * c.R) + (0.7152 * c.G) + (0.0722 * c.B);
        var (x, y) = (Luminance(a), Luminance(b));
        return (Math.Max(x, y) + 0.05) / (Math.Min(x, y) + 0.05);
    }
}
